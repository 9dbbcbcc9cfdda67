/* threads.c - the default thread count (the cores other work leaves free) and passive
 * OpenMP waiting, so that a busy machine never makes the default slower than one thread. */
#include "steward/threads.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Samples of the runnable count, SAMPLE_GAP_NS apart: a 7 ms look at the machine. */
#define BUSY_SAMPLES 8
#define SAMPLE_GAP_NS 1000000L
#define STAT_LINE 256

/* libgomp reads OMP_WAIT_POLICY once, in its own constructor, before main: a setenv in
 * main is too late. Functions in an executable's .preinit_array run before any shared
 * library's constructor, so this one sets the default in time. With active waiting
 * (libgomp's default) an idle worker spins for up to ~300,000 iterations between parallel
 * regions; on a core that other work needs, the spinning and the descheduled waits cost
 * 10-20x the tokens/s of one thread (docs/engine.md). Passive waiting sleeps instead.
 * An explicit $OMP_WAIT_POLICY or $GOMP_SPINCOUNT from the user is kept. */
static int asked_passive; /* the pre-initialiser set it (main's environ no longer shows it) */

/* Note: the C library's start-up (after every constructor) points environ back at the
 * process's original environment, so main and child processes do not see this setting;
 * OpenMP has read it by then. */
static void prefer_passive_waiting(int argc, char **argv, char **envp) {
    (void)argc; (void)argv; (void)envp;
    if (!getenv("OMP_WAIT_POLICY") && !getenv("GOMP_SPINCOUNT"))
        asked_passive = setenv("OMP_WAIT_POLICY", "PASSIVE", 0) == 0;
}
#ifndef SW_NO_PREINIT /* libsteward.so: a shared object may not have a .preinit_array */
__attribute__((section(".preinit_array"), used)) static void (*const sw_threads_preinit)(int, char **, char **) =
    prefer_passive_waiting;
#else
__attribute__((unused)) static void (*const sw_threads_preinit)(int, char **, char **) = prefer_passive_waiting;
#endif

const char *sw_threads_wait_policy(void) {
    if (asked_passive) return "PASSIVE";
    const char *p = getenv("OMP_WAIT_POLICY");
    return p ? p : getenv("GOMP_SPINCOUNT") ? "GOMP_SPINCOUNT" : "ACTIVE";
}

/* The kernel's count of runnable threads, system-wide; -1 when /proc/stat is unreadable. */
static int procs_running(void) {
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return -1;
    char line[STAT_LINE];
    int n = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "procs_running ", 14) == 0) {
            n = atoi(line + 14);
            break;
        }
    fclose(f);
    return n;
}

double sw_threads_busy_elsewhere(void) {
    double sum = 0;
    for (int i = 0; i < BUSY_SAMPLES; i++) {
        int n = procs_running();
        if (n < 0) return 0;
        sum += n > 1 ? n - 1 : 0; /* the caller itself is running while it reads */
        if (i + 1 < BUSY_SAMPLES) nanosleep(&(struct timespec){0, SAMPLE_GAP_NS}, NULL);
    }
    return sum / BUSY_SAMPLES;
}

int sw_threads_default(void) {
    int cores = omp_get_num_procs();
    int busy = (int)(sw_threads_busy_elsewhere() + 0.5);
    int free_cores = cores - busy;
    return free_cores < 1 ? 1 : free_cores > cores ? cores : free_cores;
}
