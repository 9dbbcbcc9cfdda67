/* bench_threads.c - generation speed of `steward generate` with the default thread
 * count against --threads 1 and --threads 2 (and 2 threads with OpenMP's active waiting,
 * the default before), on the shipped model and on `steward model demo`'s, with the
 * machine as it is and with one more core kept busy by a spinning child process started
 * in the same run. The default must never be slower than one thread (docs/engine.md).
 *
 *   build/bench/bench_threads [--reps N] [--tokens N]    ($STEWARD_BIN, else ./steward)
 *
 * Each figure is the median gen_tokens_per_s of N runs (default 5) of N tokens (default
 * 64) from `generate --json`; each run is a fresh process, as a user's would be. */
#include "steward/threads.h"
#include "steward/core.h"

#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define MAX_REPS 15
#define OUT_MAX (1 << 20)
#define N_CONFIGS 4

typedef struct {
    const char *label;
    const char *threads; /* NULL: the default */
    int active;          /* OMP_WAIT_POLICY=ACTIVE for this run */
} config;

static const config CONFIGS[N_CONFIGS] = {
    {"default", NULL, 0},
    {"--threads 1", "1", 0},
    {"--threads 2", "2", 0},
    {"--threads 2, active wait", "2", 1},
};

static const char *bin, *home;

/* Runs argv with stdout into out (NUL-terminated); the exit status, -1 if it could not
 * start. stderr goes to /dev/null. */
static int run_capture(char *const argv[], char *const envp[], char *out, size_t cap) {
    int fd[2];
    if (pipe(fd) < 0) return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
    posix_spawn_file_actions_addclose(&fa, fd[0]);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 1, 0);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    close(fd[1]);
    if (rc != 0) {
        close(fd[0]);
        return -1;
    }
    size_t n = 0;
    ssize_t r;
    while (n + 1 < cap && (r = read(fd[0], out + n, cap - 1 - n)) > 0) n += (size_t)r;
    out[n] = 0;
    close(fd[0]);
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The environment for a run: ours, with OMP_WAIT_POLICY removed, then set to ACTIVE
 * when asked. Points into environ; free only the array. */
static char **run_env(int active) {
    size_t n = 0;
    while (environ[n]) n++;
    char **e = calloc(n + 2, sizeof *e);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "OMP_WAIT_POLICY=", 16) != 0 && strncmp(environ[i], "GOMP_SPINCOUNT=", 15) != 0)
            e[k++] = environ[i];
    if (active) e[k++] = "OMP_WAIT_POLICY=ACTIVE";
    return e;
}

/* One generation; its tokens/s, or -1 when it failed. */
static double one_run(const char *model, const config *c, const char *tokens, char *out) {
    char *argv[20];
    int a = 0;
    argv[a++] = (char *)bin;
    argv[a++] = "--home";
    argv[a++] = (char *)home;
    argv[a++] = "generate";
    argv[a++] = "--model";
    argv[a++] = (char *)model;
    argv[a++] = "--prompt";
    argv[a++] = "the";
    argv[a++] = "--max-tokens";
    argv[a++] = (char *)tokens;
    argv[a++] = "--ignore-eos";
    argv[a++] = "--no-context-shift";
    argv[a++] = "--seed";
    argv[a++] = "1";
    argv[a++] = "--json";
    if (c->threads) {
        argv[a++] = "--threads";
        argv[a++] = (char *)c->threads;
    }
    argv[a] = NULL;
    char **env = run_env(c->active);
    int rc = run_capture(argv, env, out, OUT_MAX);
    free(env);
    if (rc != 0) return -1;
    /* not a JSON parser: a random-weight model's text holds bytes that are not UTF-8,
     * which jansson refuses; the field's name is unique in the output */
    const char *f = strstr(out, "\"gen_tokens_per_s\":");
    double tps = f ? strtod(f + 19, NULL) : -1;
    return tps > 0 ? tps : -1;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median tokens/s of reps runs of every configuration into tps[]; the configurations
 * take turns, so that a change in the machine's load reaches all of them alike. -1 when
 * a run failed. */
static int median_runs(const char *model, int reps, const char *tokens, char *out, double *tps) {
    double v[N_CONFIGS][MAX_REPS];
    for (int i = 0; i < reps; i++)
        for (int c = 0; c < N_CONFIGS; c++)
            if ((v[c][i] = one_run(model, &CONFIGS[c], tokens, out)) < 0) {
                printf("  %-26s FAILED\n", CONFIGS[c].label);
                return -1;
            }
    for (int c = 0; c < N_CONFIGS; c++) {
        qsort(v[c], (size_t)reps, sizeof v[c][0], cmp_double);
        tps[c] = v[c][reps / 2];
    }
    return 0;
}

/* A child that spins on one core until killed. */
static pid_t start_busy_loop(void) {
    pid_t pid = fork();
    if (pid == 0) {
        volatile unsigned long x = 0;
        for (;;) x++;
    }
    return pid;
}

/* Measures every configuration on one model under the current load; prints a row per
 * configuration; returns 1 when the default was slower than one thread (by more than
 * the noise margin), 0 otherwise, -1 on a failed run. */
static int measure(const char *name, const char *model, const char *load, int reps, const char *tokens, char *out) {
    double tps[N_CONFIGS];
    printf("%-8s %-7s busy elsewhere %.1f of %ld cores\n", name, load, sw_threads_busy_elsewhere(),
           sysconf(_SC_NPROCESSORS_ONLN));
    if (median_runs(model, reps, tokens, out, tps) < 0) return -1;
    for (int c = 0; c < N_CONFIGS; c++)
        printf("  %-26s %9.1f tokens/s  x%.2f of one thread\n", CONFIGS[c].label, tps[c], tps[c] / tps[1]);
    fflush(stdout);
    return tps[0] < 0.8 * tps[1]; /* a shared machine's noise: runs differ by up to ~20% */
}

int main(int argc, char **argv) {
    int reps = 5;
    const char *tokens = "64";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--reps") == 0) reps = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--tokens") == 0) tokens = argv[i + 1];
    }
    if (reps < 1 || reps > MAX_REPS) reps = 5;
    bin = getenv("STEWARD_BIN") ? getenv("STEWARD_BIN") : "./steward";
    char tmpl[] = "/tmp/steward-bench-threads-XXXXXX";
    if (!mkdtemp(tmpl)) return perror("mkdtemp"), 1;
    home = tmpl;
    char demo[sizeof tmpl + 16], *out = malloc(OUT_MAX);
    snprintf(demo, sizeof demo, "%s/demo.gguf", tmpl);
    char *dargv[] = {(char *)bin, "model", "demo", demo, NULL};
    if (!out || run_capture(dargv, environ, out, OUT_MAX) != 0) {
        fprintf(stderr, "bench_threads: '%s model demo' failed (build ./steward first)\n", bin);
        return 1;
    }
    const char *names[2] = {"shipped", "demo"}, *models[2] = {"models/default.gguf", demo};
    printf("tokens/s of `steward generate` (median of %d runs of %s tokens)\n", reps, tokens);
    int slower = 0, failed = 0;
    for (int loaded = 0; loaded < 2; loaded++) {
        pid_t busy = loaded ? start_busy_loop() : 0;
        for (int m = 0; m < 2; m++) {
            int r = measure(names[m], models[m], loaded ? "+1 busy" : "as is", reps, tokens, out);
            slower += r == 1;
            failed += r < 0;
        }
        if (busy > 0) {
            kill(busy, SIGKILL);
            waitpid(busy, NULL, 0);
        }
    }
    char cmd[sizeof tmpl + 16];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpl);
    if (system(cmd) != 0) fprintf(stderr, "bench_threads: could not remove %s\n", tmpl);
    free(out);
    printf("default slower than one thread in %d of 4 cases%s\n", slower, failed ? " (some runs failed)" : "");
    return failed ? 1 : 0;
}
