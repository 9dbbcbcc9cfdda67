/* clock.c - monotonic time, process CPU time, and energy per unit of work. */
#include "steward/core.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

uint64_t sw_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

double sw_process_cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Reads one unsigned integer from a sysfs file; -1 when unreadable. */
static int read_u64(const char *path, uint64_t *v) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    unsigned long long x;
    int ok = fscanf(f, "%llu", &x) == 1;
    fclose(f);
    if (!ok) return -1;
    *v = x;
    return 0;
}

#define RAPL_PKG "/sys/class/powercap/intel-rapl:0/energy_uj"
#define RAPL_MAX "/sys/class/powercap/intel-rapl:0/max_energy_range_uj"

void sw_energy_begin(sw_energy *e, double watts_per_core) {
    if (watts_per_core <= 0) {
        const char *env = getenv("STEWARD_WATTS_PER_CORE");
        watts_per_core = env ? atof(env) : 0;
        if (watts_per_core <= 0) watts_per_core = SW_DEFAULT_WATTS_PER_CORE;
    }
    e->watts_per_core = watts_per_core;
    e->use_rapl = read_u64(RAPL_PKG, &e->rapl_uj_start) == 0;
    if (e->use_rapl && read_u64(RAPL_MAX, &e->rapl_max_uj) != 0) e->rapl_max_uj = 0;
    e->cpu_start = sw_process_cpu_seconds();
}

double sw_energy_end(const sw_energy *e, const char **method) {
    uint64_t now;
    if (e->use_rapl && read_u64(RAPL_PKG, &now) == 0) {
        uint64_t d = now >= e->rapl_uj_start ? now - e->rapl_uj_start
                                             : e->rapl_max_uj - e->rapl_uj_start + now;
        if (method) *method = "rapl";
        return (double)d * 1e-6;
    }
    if (method) *method = "cpu-time-estimate";
    return (sw_process_cpu_seconds() - e->cpu_start) * e->watts_per_core;
}
