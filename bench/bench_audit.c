/* bench_audit.c - audit log figures against baselines measured in the same run:
 *   durable appends/s with group commit (2 appender threads; and 64 blocking appenders)
 *     vs. the same bytes written with one fdatasync per record and per batch;
 *   inclusion proof time at N records (default 10 million);
 *   full verification records/s vs. plain SHA-256 over the segment bytes.
 * Environment: BENCH_AUDIT_RECORDS (default 10000000), BENCH_AUDIT_DIR (default /tmp),
 * BENCH_AUDIT_SECONDS (append phases, default 3). */
#include "steward/audit.h"

#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WINDOW 512 /* records an async appender submits before it waits for durability */

static char dir[512];

static double secs(uint64_t t0) { return (double)(sw_now_ns() - t0) * 1e-9; }

/* A record shaped like the pipeline's (about 300 bytes of JSON). */
static int make_record(char *out, size_t sz, uint64_t i) {
    return snprintf(out, sz,
                    "{\"type\":\"generation\",\"seq\":%" PRIu64 ",\"principal\":\"key:7f3a\",\"model_sha256\":"
                    "\"9b1c0e4d2f6a8b3c5d7e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c\",\"input_sha256\":"
                    "\"%016" PRIx64 "a8b3c5d7e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8\",\"verdicts\":{\"input\":"
                    "\"allow\",\"output\":\"allow\"},\"watermark\":{\"scheme\":\"kgw\",\"gamma\":0.25},\"ms\":%u}",
                    i, (uint64_t)(i * 0x9E3779B97F4A7C15ull), (unsigned)(i % 997));
}

static void rmrf(const char *path) {
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0) fprintf(stderr, "bench: could not remove %s\n", path);
}

/* ---- baseline: the same frames, written and fdatasync'd per record / per batch ---- */
static double baseline_fsync(int per_batch, double seconds) {
    char path[700];
    snprintf(path, sizeof path, "%s/baseline.log", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return 0;
    sw_buf b = {0};
    uint64_t n = 0, t0 = sw_now_ns();
    char rec[512];
    while (secs(t0) < seconds) {
        sw_buf_reset(&b);
        int k = per_batch ? WINDOW * 2 : 1;
        for (int j = 0; j < k; j++) {
            int len = make_record(rec, sizeof rec, n + (uint64_t)j);
            sw_audit_frame_encode(&b, n + (uint64_t)j, rec, (size_t)len, NULL);
        }
        if (write(fd, b.data, b.len) != (ssize_t)b.len || fdatasync(fd) != 0) break;
        n += (uint64_t)k;
    }
    double rate = (double)n / secs(t0);
    close(fd);
    unlink(path);
    sw_buf_free(&b);
    return rate;
}

/* ---- group commit ---- */
typedef struct app {
    sw_audit *log;
    int async;
    double seconds;
    uint64_t t0, done;
} app;

static void *appender(void *p) {
    app *a = p;
    char rec[512];
    sw_err err;
    uint64_t idx = 0, i = (uint64_t)(uintptr_t)a * 7;
    while (secs(a->t0) < a->seconds) {
        int k = a->async ? WINDOW : 1;
        for (int j = 0; j < k; j++) {
            int len = make_record(rec, sizeof rec, i++);
            if (sw_audit_submit(a->log, rec, (size_t)len, &idx, &err) < 0) return NULL;
        }
        if (sw_audit_sync(a->log, idx, &err) < 0) return NULL;
        a->done += (uint64_t)k; /* acknowledged: durable */
    }
    return NULL;
}

static double group_commit(int threads, int async, double seconds) {
    char home[700];
    snprintf(home, sizeof home, "%s/gc", dir);
    rmrf(home);
    mkdir(home, 0700);
    sw_audit *log;
    sw_err err;
    if (sw_audit_open(home, NULL, &log, &err) < 0) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return 0;
    }
    app *a = calloc((size_t)threads, sizeof *a);
    pthread_t *th = calloc((size_t)threads, sizeof *th);
    uint64_t t0 = sw_now_ns();
    for (int i = 0; i < threads; i++) {
        a[i] = (app){log, async, seconds, t0, 0};
        pthread_create(&th[i], NULL, appender, &a[i]);
    }
    uint64_t total = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        total += a[i].done;
    }
    double rate = (double)total / secs(t0);
    sw_audit_close(log, NULL);
    rmrf(home);
    free(a);
    free(th);
    return rate;
}

/* ---- a big log: build, prove, verify ---- */
static void *builder(void *p) {
    app *a = p;
    char rec[512];
    sw_err err;
    uint64_t idx = 0;
    for (uint64_t i = a->done; i < (uint64_t)a->seconds; i++) {
        int len = make_record(rec, sizeof rec, i);
        if (sw_audit_submit(a->log, rec, (size_t)len, &idx, &err) < 0) {
            fprintf(stderr, "bench: %s\n", err.msg);
            return NULL;
        }
        if ((i & 8191) == 8191 && sw_audit_sync(a->log, idx, &err) < 0) return NULL;
    }
    sw_audit_sync(a->log, idx, &err);
    return NULL;
}

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void big_log(uint64_t n) {
    char home[700];
    snprintf(home, sizeof home, "%s/big", dir);
    rmrf(home);
    mkdir(home, 0700);
    sw_audit *log;
    sw_err err;
    sw_audit_opts o = {0};
    o.checkpoint_every = n; /* one checkpoint at the end */
    o.checkpoint_ms = 600000;
    if (sw_audit_open(home, &o, &log, &err) < 0) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return;
    }
    uint64_t t0 = sw_now_ns();
    app b = {log, 1, (double)n, t0, 0};
    builder(&b);
    double build_s = secs(t0);
    printf("built %" PRIu64 " records in %.1f s (%.0f durable appends/s, one thread, windows of 8192)\n",
           sw_audit_size(log), build_s, (double)sw_audit_size(log) / build_s);
    sw_audit_close(log, NULL);

    o.read_only = 1;
    if (sw_audit_open(home, &o, &log, &err) < 0) return;
    /* inclusion proofs at the full size: warm the page cache once, then time */
    enum { PROOFS = 200000 };
    uint8_t proof[SW_MERKLE_MAX_PROOF][SW_HASH_BYTES], root[SW_HASH_BYTES], leaf[SW_HASH_BYTES];
    size_t k;
    sw_audit_root(log, n, root, &err);
    t0 = sw_now_ns();
    double c0 = sw_process_cpu_seconds();
    for (int i = 0; i < PROOFS / 10; i++) sw_audit_prove(log, rnd() % n, n, proof, &k, &err);
    double cold_us = secs(t0) * 1e6 / (PROOFS / 10), cold_cpu = (sw_process_cpu_seconds() - c0) * 1e6 / (PROOFS / 10);
    /* a server that has answered proofs for a while has every page of the tree files
     * mapped: touch each page once (one proof per 128 leaves = one per 4 KiB of level 0) */
    for (uint64_t i = 0; i < n; i += 128) sw_audit_prove(log, i, n, proof, &k, &err);
    t0 = sw_now_ns();
    c0 = sw_process_cpu_seconds();
    for (int i = 0; i < PROOFS; i++)
        if (sw_audit_prove(log, rnd() % n, n, proof, &k, &err) < 0) {
            fprintf(stderr, "bench: %s\n", err.msg);
            break;
        }
    double prove_us = secs(t0) * 1e6 / PROOFS, prove_cpu = (sw_process_cpu_seconds() - c0) * 1e6 / PROOFS;
    uint64_t idx = rnd() % n;
    sw_audit_leaf(log, idx, leaf, &err);
    sw_audit_prove(log, idx, n, proof, &k, &err);
    t0 = sw_now_ns();
    int okv = 0;
    for (int i = 0; i < PROOFS / 10; i++)
        okv += sw_merkle_verify_inclusion(leaf, idx, n, (const uint8_t(*)[SW_HASH_BYTES])proof, k, root, &err) == 0;
    double verify_us = secs(t0) * 1e6 / (PROOFS / 10);
    printf("inclusion proof at %" PRIu64 " records (%zu hashes, read from the tree files): %.2f us wall, %.2f us CPU "
           "(warm: every tree page mapped); first %d proofs: %.2f us wall, %.2f us CPU; verifying one: %.2f us (%s)\n",
           n, k, prove_us, prove_cpu, PROOFS / 10, cold_us, cold_cpu, verify_us,
           okv == PROOFS / 10 ? "all verified" : "FAILED");

    /* full verification vs. plain SHA-256 of the same segment bytes */
    sw_audit_verify_report rep;
    t0 = sw_now_ns();
    c0 = sw_process_cpu_seconds();
    int vrc = sw_audit_verify(log, &rep, &err);
    double ver_s = secs(t0), ver_cpu = sw_process_cpu_seconds() - c0;
    sw_audit_close(log, NULL);
    uint64_t bytes = 0;
    uint64_t t1 = sw_now_ns();
    double c1 = sw_process_cpu_seconds();
    for (uint32_t s = 0;; s++) {
        char p[800];
        snprintf(p, sizeof p, "%s/audit/segment-%06u.log", home, s);
        sw_buf seg = {0};
        if (access(p, F_OK) != 0 || sw_read_file(p, &seg, NULL) < 0) {
            sw_buf_free(&seg);
            break;
        }
        uint8_t h[32];
        sw_sha256(seg.data, seg.len, h);
        bytes += seg.len;
        sw_buf_free(&seg);
    }
    double sha_s = secs(t1), sha_cpu = sw_process_cpu_seconds() - c1;
    printf("full verification: %" PRIu64 " records in %.2f s wall = %.0f records/s, %.2f s CPU = %.0f records per "
           "CPU-second (%s)\n", rep.records, ver_s, (double)rep.records / ver_s, ver_cpu,
           (double)rep.records / ver_cpu, vrc == 0 ? "ok" : err.msg);
    printf("baseline: reading + SHA-256 (libsodium) of the %.0f MB of segments once: %.0f records/s wall, %.0f per "
           "CPU-second; verification / baseline = %.2fx wall, %.2fx CPU\n", (double)bytes / 1e6, (double)n / sha_s,
           (double)n / sha_cpu, sha_s / ver_s, sha_cpu / ver_cpu);
    rmrf(home);
}

int main(void) {
    const char *base = getenv("BENCH_AUDIT_DIR");
    snprintf(dir, sizeof dir, "%s/steward_bench_audit_%d", base ? base : "/tmp", (int)getpid());
    mkdir(dir, 0700);
    sw_crypto_init(NULL);
    const char *e = getenv("BENCH_AUDIT_SECONDS");
    double seconds = e ? atof(e) : 3.0;
    e = getenv("BENCH_AUDIT_RECORDS");
    uint64_t n = e ? strtoull(e, NULL, 10) : 10000000ull;

    double per_rec = baseline_fsync(0, seconds / 2);
    double per_batch = baseline_fsync(1, seconds);
    double gc2 = group_commit(2, 1, seconds);
    double gc64 = group_commit(64, 0, seconds);
    double gc2b = group_commit(2, 0, seconds);
    printf("baseline: write + fdatasync per record: %.0f records/s\n", per_rec);
    printf("baseline: write + fdatasync per batch of %d frames (no hashing, no index): %.0f records/s\n",
           WINDOW * 2, per_batch);
    printf("group commit, 2 appender threads (windows of %d, durable on ack): %.0f appends/s = %.1fx per-record "
           "fsync, %.2fx the raw batched write\n", WINDOW, gc2, gc2 / per_rec, gc2 / per_batch);
    printf("group commit, 64 threads each blocking on sw_audit_append: %.0f appends/s = %.1fx per-record fsync\n",
           gc64, gc64 / per_rec);
    printf("group commit, 2 threads each blocking on sw_audit_append: %.0f appends/s\n", gc2b);
    fflush(stdout);
    if (n) big_log(n);
    rmrf(dir);
    return 0;
}
