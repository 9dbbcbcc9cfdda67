/* bench_store.c - state store figures: key-add latency (median, p99); authentications per
 * second from the in-memory cache (1 and 2 threads) against the uncached path (a SQLite
 * lookup per call: first use of a key, and unknown tokens), and limit admissions per second.
 * Environment: BENCH_STORE_DIR (default /tmp), BENCH_STORE_KEYS (default 2000),
 * BENCH_STORE_SECONDS (each timed phase, default 1). */
#include "steward/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUTH_THREADS 2
#define UNKNOWN_TOKEN "sk-sw-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

typedef char secret_t[SW_KEY_SECRET_CHARS];

static double secs(uint64_t t0) { return (double)(sw_now_ns() - t0) * 1e-9; }

static long env_long(const char *name, long dflt) {
    const char *v = getenv(name);
    return v && *v ? strtol(v, NULL, 10) : dflt;
}

typedef struct {
    sw_store *s;
    secret_t *secrets;
    long nkeys;
    double seconds;
    long long calls, failures;
} auth_arg;

static void *auth_loop(void *p) {
    auth_arg *a = p;
    sw_key_info k;
    uint64_t t0 = sw_now_ns();
    long long n = 0;
    while (secs(t0) < a->seconds) {
        for (int j = 0; j < 256; j++, n++)
            if (sw_store_key_auth(a->s, a->secrets[n % a->nkeys], &k, NULL) != 1) a->failures++;
    }
    a->calls = n;
    return NULL;
}

/* Cached authentications per second with `threads` threads. */
static double auth_rate(sw_store *s, secret_t *secrets, long nkeys, int threads, double seconds, long long *failures) {
    pthread_t th[AUTH_THREADS];
    auth_arg args[AUTH_THREADS];
    uint64_t t0 = sw_now_ns();
    for (int t = 0; t < threads; t++) {
        args[t] = (auth_arg){s, secrets, nkeys, seconds, 0, 0};
        pthread_create(&th[t], NULL, auth_loop, &args[t]);
    }
    long long calls = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(th[t], NULL);
        calls += args[t].calls;
        *failures += args[t].failures;
    }
    return (double)calls / secs(t0);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(void) {
    char dir[512];
    snprintf(dir, sizeof dir, "%s/sw_bench_store_XXXXXX", getenv("BENCH_STORE_DIR") ? getenv("BENCH_STORE_DIR") : "/tmp");
    if (!mkdtemp(dir)) return 1;
    long nkeys = env_long("BENCH_STORE_KEYS", 2000);
    double seconds = (double)env_long("BENCH_STORE_SECONDS", 1);
    sw_err err;
    sw_store *s;
    if (sw_store_open(dir, &s, &err) < 0) {
        fprintf(stderr, "bench_store: %s\n", err.msg);
        return 1;
    }
    secret_t *secrets = calloc((size_t)nkeys, sizeof *secrets);
    double *lat = calloc((size_t)nkeys, sizeof *lat);
    sw_key_info k;
    for (long i = 0; i < nkeys; i++) {
        uint64_t t0 = sw_now_ns();
        if (sw_store_key_add(s, NULL, SW_ROLE_USER, 600, 100000, secrets[i], &k, &err) < 0) {
            fprintf(stderr, "bench_store: %s\n", err.msg);
            return 1;
        }
        lat[i] = secs(t0) * 1e3;
    }
    qsort(lat, (size_t)nkeys, sizeof *lat, cmp_double);
    printf("key add (%ld keys, WAL, synchronous=NORMAL): median %.3f ms, p99 %.3f ms\n", nkeys, lat[nkeys / 2],
           lat[nkeys * 99 / 100]);
    sw_store_close(s);

    /* uncached: a fresh handle authenticates every key once (each a SQLite lookup) */
    if (sw_store_open(dir, &s, &err) < 0) return 1;
    long long failures = 0;
    uint64_t t0 = sw_now_ns();
    for (long i = 0; i < nkeys; i++)
        if (sw_store_key_auth(s, secrets[i], &k, NULL) != 1) failures++;
    double first_use = (double)nkeys / secs(t0);
    long long unknown = 0;
    t0 = sw_now_ns();
    while (secs(t0) < seconds / 2)
        for (int j = 0; j < 64; j++, unknown++) sw_store_key_auth(s, UNKNOWN_TOKEN, &k, NULL);
    double unknown_rate = (double)unknown / secs(t0);
    double cached1 = auth_rate(s, secrets, nkeys, 1, seconds, &failures);
    double cached2 = auth_rate(s, secrets, nkeys, AUTH_THREADS, seconds, &failures);
    printf("auth uncached (first use of each key, SQLite lookup): %.0f/s\n", first_use);
    printf("auth unknown token (SQLite lookup every call): %.0f/s\n", unknown_rate);
    printf("auth cached: %.0f/s on 1 thread (%.2f us/call, %.0fx the uncached path), %.0f/s on %d threads\n",
           cached1, 1e6 / cached1, cached1 / first_use, cached2, AUTH_THREADS);

    sw_key_info big = k;
    big.rate_per_min = SW_RATE_MAX_PER_MIN;
    long long admits = 0;
    t0 = sw_now_ns();
    int retry;
    while (secs(t0) < seconds / 2)
        for (int j = 0; j < 256; j++, admits++) sw_store_limit_admit(s, &big, &retry, NULL);
    printf("limit admit (rate and day budget): %.0f/s (%.2f us/call)\n", (double)admits / secs(t0),
           secs(t0) * 1e6 / (double)admits);
    sw_store_close(s);
    free(secrets);
    free(lat);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) return 1;
    if (failures) fprintf(stderr, "bench_store: %lld authentications failed\n", failures);
    return failures ? 1 : 0;
}
