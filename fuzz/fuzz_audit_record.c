/* fuzz_audit_record.c - libFuzzer target for the audit log's readers: record frames,
 * checkpoint notes, and a whole segment file going through recovery and verification.
 * The first input byte chooses which. */
#include "steward/audit.h"
#include "steward/keys.h"

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char home[64];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void cleanup(void) { nftw(home, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

static void setup(void) {
    if (home[0]) return;
    /* tmpfs when there is one: fsync is free there */
    snprintf(home, sizeof home, "%s/sw_fuzz_audit_XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(home)) abort();
    atexit(cleanup);
    sw_crypto_init(NULL);
}

static void frames(const uint8_t *p, size_t n) {
    size_t off = 0;
    while (off < n) {
        sw_audit_frame fr;
        sw_err err;
        int r = sw_audit_frame_parse(p + off, n - off, &fr, &err);
        if (r <= 0) {
            off++; /* resynchronise one byte on, as a recovery scanner might */
            continue;
        }
        if (fr.rec + fr.len > p + n || fr.frame_len > n - off) abort();
        off += fr.frame_len;
    }
}

static void notes(const uint8_t *p, size_t n) {
    static uint8_t pub[32];
    sw_checkpoint cp;
    sw_err err;
    if (sw_checkpoint_parse((const char *)p, n, &cp, &err) == 0 && cp.origin[0] == 0) abort();
    (void)sw_checkpoint_verify((const char *)p, n, (const uint8_t(*)[32])pub, 1, &cp, &err);
}

static void write_file(const char *path, const uint8_t *p, size_t n) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) abort();
    if (n && write(fd, p, n) != (ssize_t)n) abort();
    close(fd);
}

static int count_one(void *ud, uint64_t index, const uint8_t *rec, size_t len) {
    (void)index, (void)rec, (void)len;
    ++*(uint64_t *)ud;
    return 0;
}

/* Salvage (read-only, ignores the index) over the segments as they are: 1 with *n the
 * intact frames it passed on, 0 when no reader could open (no keys yet). */
static int salvage(uint64_t *n) {
    sw_audit_opts o = {0};
    o.read_only = 1;
    sw_audit *log;
    sw_err err;
    sw_audit_salvage_report rep;
    *n = 0;
    if (sw_audit_open(home, &o, &log, &err) < 0) return 0;
    if (sw_audit_salvage(log, count_one, n, &rep, &err) < 0 || *n != rep.records) abort();
    sw_audit_close(log, NULL);
    return 1;
}

/* The input becomes segment 0 of a log with no derived files: salvage it, open (recovery
 * re-indexes it and cuts a bad tail), then verify, read and prove what was kept. */
static void segment(const uint8_t *p, size_t n) {
    static const char *names[] = {"index", "checkpoint", "checkpoints.log", "lock", "format",
                                  "segment-000000.log", "segment-000001.log"};
    char path[256];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(path, sizeof path, "%s/audit/%s", home, names[i]);
        unlink(path);
    }
    for (int l = 0; l < 64; l++) {
        snprintf(path, sizeof path, "%s/audit/tree/level-%02d", home, l);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/audit", home);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/audit/format", home);
    const char *fmt = "steward-audit 1 segment_bytes=268435456\n";
    write_file(path, (const uint8_t *)fmt, strlen(fmt));
    snprintf(path, sizeof path, "%s/audit/segment-000000.log", home);
    write_file(path, p, n);
    sw_audit_opts o = {0};
    o.no_checkpoint_on_close = 1;
    sw_audit *log;
    sw_err err;
    uint64_t salvaged;
    int have_salvage = salvage(&salvaged);
    if (sw_audit_open(home, &o, &log, &err) < 0) return;
    uint64_t size = sw_audit_size(log);
    if (have_salvage && salvaged < size) abort(); /* every record recovery kept is an intact frame */
    sw_audit_verify_report rep;
    if (sw_audit_verify(log, &rep, &err) < 0 || rep.records != size) abort(); /* recovered logs verify */
    if (size) {
        sw_buf b = {0};
        uint8_t proof[SW_MERKLE_MAX_PROOF][SW_HASH_BYTES], root[SW_HASH_BYTES], leaf[SW_HASH_BYTES];
        size_t k;
        uint64_t i = size / 2;
        if (sw_audit_read(log, i, &b, &err) < 0) abort();
        sw_merkle_leaf_hash(b.data, b.len, leaf);
        if (sw_audit_prove(log, i, size, proof, &k, &err) < 0 || sw_audit_root(log, size, root, &err) < 0 ||
            sw_merkle_verify_inclusion(leaf, i, size, (const uint8_t(*)[SW_HASH_BYTES])proof, k, root, &err) < 0)
            abort();
        sw_buf_free(&b);
    }
    sw_audit_close(log, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    setup();
    if (size == 0) return 0;
    switch (data[0] % 3) {
    case 0: frames(data + 1, size - 1); break;
    case 1: notes(data + 1, size - 1); break;
    default: segment(data + 1, size - 1); break;
    }
    return 0;
}
