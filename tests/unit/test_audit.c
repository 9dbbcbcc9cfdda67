/* test_audit.c - the audit log: proof verifiers against mutations, frames, storage, tamper
 * detection naming the first bad record, recovery, checkpoints and keys, retention. */
#include "steward/audit.h"
#include "steward/keys.h"
#include "t.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- helpers */

static char home[256];

static void fresh_home(void) {
    char cmd[300];
    if (home[0]) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
        T_CHECK(system(cmd) == 0);
    }
    snprintf(home, sizeof home, "/tmp/sw_audit_test_XXXXXX");
    T_CHECK(mkdtemp(home) != NULL);
}

static sw_audit *open_log(int read_only, sw_err *err) {
    sw_audit_opts o = {0};
    o.read_only = read_only;
    sw_audit *log = NULL;
    if (sw_audit_open(home, &o, &log, err) < 0) return NULL;
    return log;
}

static void append_n(sw_audit *log, int from, int n) {
    sw_err err;
    for (int i = from; i < from + n; i++) {
        char rec[96];
        int len = snprintf(rec, sizeof rec, "{\"i\":%d,\"pad\":\"%.*s\"}", i, i % 17, "abcdefghijklmnopqrstuvwxyz");
        uint64_t idx;
        T_CHECK_MSG(sw_audit_append(log, rec, (size_t)len, &idx, &err) == 0, "%s", err.msg);
        T_CHECK(idx == (uint64_t)i);
    }
}

static void seg_path(char *out, size_t sz, int seg) {
    snprintf(out, sz, "%s/audit/segment-%06d.log", home, seg);
}

static long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static unsigned char *slurp(const char *path, long *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc((size_t)*len + 1);
    if (fread(p, 1, (size_t)*len, f) != (size_t)*len) *len = -1;
    fclose(f);
    return p;
}

static void spill(const char *path, const unsigned char *p, long len) {
    FILE *f = fopen(path, "wb");
    T_CHECK(f && fwrite(p, 1, (size_t)len, f) == (size_t)len);
    if (f) fclose(f);
}

/* Runs a read-only verify; returns its result and the report. */
static int verify(sw_audit_verify_report *rep, sw_err *err) {
    sw_audit *log = open_log(1, err);
    if (!log) {
        memset(rep, 0, sizeof *rep);
        return -2;
    }
    int rc = sw_audit_verify(log, rep, err);
    sw_audit_close(log, NULL);
    return rc;
}

/* ---------------------------------------------------------------- Merkle, in memory */

typedef struct mem_tree {
    uint8_t (*leaves)[SW_HASH_BYTES];
    uint64_t n;
} mem_tree;

/* Computes complete-subtree hashes straight from the leaves (slow, independent of store.c). */
static int mem_node(void *ud, unsigned level, uint64_t index, uint8_t out[SW_HASH_BYTES], sw_err *err) {
    mem_tree *t = ud;
    uint64_t first = index << level, count = 1ull << level;
    if (first + count > t->n) return sw_err_set(err, "node past the end");
    if (level == 0) {
        memcpy(out, t->leaves[first], SW_HASH_BYTES);
        return 0;
    }
    uint8_t l[SW_HASH_BYTES], r[SW_HASH_BYTES];
    mem_node(ud, level - 1, index * 2, l, err);
    mem_node(ud, level - 1, index * 2 + 1, r, err);
    sw_merkle_node_hash(l, r, out);
    return 0;
}

static void test_merkle_verifiers_reject_mutations(void) {
    enum { N = 64 };
    uint8_t leaves[N][SW_HASH_BYTES];
    for (int i = 0; i < N; i++) {
        char e[16];
        int len = snprintf(e, sizeof e, "leaf %d", i);
        sw_merkle_leaf_hash(e, (size_t)len, leaves[i]);
    }
    mem_tree t = {leaves, N};
    sw_merkle_frontier f = {0};
    sw_err err;
    int bad = 0;
    for (uint64_t n = 1; n <= N; n++) {
        sw_merkle_frontier_push(&f, leaves[n - 1], NULL, NULL);
        uint8_t root[SW_HASH_BYTES], root2[SW_HASH_BYTES], proof[SW_MERKLE_MAX_PROOF][SW_HASH_BYTES];
        sw_merkle_range_hash(mem_node, &t, 0, n, root, &err);
        sw_merkle_frontier_root(&f, root2);
        if (memcmp(root, root2, SW_HASH_BYTES) != 0) bad++;
        for (uint64_t m = 0; m < n; m++) {
            size_t k;
            T_CHECK(sw_merkle_inclusion_proof(mem_node, &t, m, n, proof, &k, &err) == 0);
            if (sw_merkle_verify_inclusion(leaves[m], m, n, (const uint8_t(*)[32])proof, k, root, &err) != 0) bad++;
            for (size_t j = 0; j < k; j++) { /* every flipped bit of every proof hash */
                proof[j][j % 32] ^= 1;
                if (sw_merkle_verify_inclusion(leaves[m], m, n, (const uint8_t(*)[32])proof, k, root, &err) == 0) bad++;
                proof[j][j % 32] ^= 1;
            }
            if (k && sw_merkle_verify_inclusion(leaves[m], m, n, (const uint8_t(*)[32])proof, k - 1, root, &err) == 0) bad++;
            if (sw_merkle_verify_inclusion(leaves[m], m, n, (const uint8_t(*)[32])proof, k + 1, root, &err) == 0) bad++;
            if (n > 1 && sw_merkle_verify_inclusion(leaves[m], (m + 1) % n, n, (const uint8_t(*)[32])proof, k, root, &err) == 0) bad++;
            if (sw_merkle_verify_inclusion(leaves[(m + 1) % N], m, n, (const uint8_t(*)[32])proof, k, root, &err) == 0) bad++;
        }
        for (uint64_t m = 1; m < n; m++) {
            uint8_t old_root[SW_HASH_BYTES];
            size_t k;
            sw_merkle_range_hash(mem_node, &t, 0, m, old_root, &err);
            T_CHECK(sw_merkle_consistency_proof(mem_node, &t, m, n, proof, &k, &err) == 0);
            if (sw_merkle_verify_consistency(m, n, old_root, root, (const uint8_t(*)[32])proof, k, &err) != 0) bad++;
            for (size_t j = 0; j < k; j++) {
                proof[j][31] ^= 0x80;
                if (sw_merkle_verify_consistency(m, n, old_root, root, (const uint8_t(*)[32])proof, k, &err) == 0) bad++;
                proof[j][31] ^= 0x80;
            }
            old_root[0] ^= 1;
            if (sw_merkle_verify_consistency(m, n, old_root, root, (const uint8_t(*)[32])proof, k, &err) == 0) bad++;
            old_root[0] ^= 1;
            if (k > 1 && sw_merkle_verify_consistency(m, n, old_root, root, (const uint8_t(*)[32])proof, k - 1, &err) == 0) bad++;
            if (sw_merkle_verify_consistency(m + 1 <= n ? m + 1 : m, n, old_root, root, (const uint8_t(*)[32])proof, k, &err) == 0 && m + 1 < n) bad++;
        }
    }
    T_CHECK_MSG(bad == 0, "%d verifier mistakes", bad);
    uint8_t empty[SW_HASH_BYTES];
    char hex[65];
    sw_merkle_empty_root(empty);
    sw_hex(empty, 32, hex);
    T_CHECK(strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0);
}

/* The leaf and node hashes (SHA-NI where the CPU has it) against libsodium's SHA-256. */
static void test_hashes_match_libsodium(void) {
    uint8_t buf[400], pre[401], a[32], b[32];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)(i * 131 + 7);
    int bad = 0;
    for (size_t n = 0; n < sizeof buf; n++) {
        sw_merkle_leaf_hash(buf, n, a);
        pre[0] = 0;
        memcpy(pre + 1, buf, n);
        sw_sha256(pre, n + 1, b);
        bad += memcmp(a, b, 32) != 0;
    }
    sw_merkle_node_hash(buf, buf + 32, a);
    pre[0] = 1;
    memcpy(pre + 1, buf, 64);
    sw_sha256(pre, 65, b);
    bad += memcmp(a, b, 32) != 0;
    T_CHECK_MSG(bad == 0, "%d hashes differ", bad);
}

/* ---------------------------------------------------------------- frames */

static void test_frames(void) {
    sw_buf b = {0};
    sw_err err;
    T_CHECK(sw_audit_frame_encode(&b, 42, "{\"a\":1}", 7, &err) == 0);
    sw_audit_frame fr;
    T_CHECK(sw_audit_frame_parse((uint8_t *)b.data, b.len, &fr, &err) == 1);
    T_CHECK(fr.number == 42 && fr.len == 7 && memcmp(fr.rec, "{\"a\":1}", 7) == 0 && fr.frame_len == b.len);
    for (size_t i = 0; i < b.len; i++) { /* any flipped byte is caught */
        for (int bit = 0; bit < 8; bit++) {
            b.data[i] ^= (char)(1 << bit);
            int r = sw_audit_frame_parse((uint8_t *)b.data, b.len, &fr, &err);
            T_CHECK_MSG(r != 1, "flip of byte %zu bit %d undetected", i, bit);
            b.data[i] ^= (char)(1 << bit);
        }
    }
    for (size_t n = 0; n < b.len; n++) T_CHECK(sw_audit_frame_parse((uint8_t *)b.data, n, &fr, &err) != 1);
    T_CHECK(sw_audit_frame_encode(&b, 1, "", 0, &err) == -1);
    /* CRC-32C check value */
    T_CHECK(sw_crc32c(0, "123456789", 9) == 0xE3069283u);
    sw_buf_free(&b);
}

/* ---------------------------------------------------------------- storage */

static void test_append_reopen_read(void) {
    fresh_home();
    sw_err err;
    sw_audit *log = open_log(0, &err);
    T_CHECK_MSG(log, "%s", err.msg);
    if (!log) return;
    append_n(log, 0, 100);
    T_CHECK(sw_audit_size(log) == 100);
    T_CHECK(sw_audit_close(log, &err) == 0);
    log = open_log(0, &err);
    T_CHECK(log && sw_audit_size(log) == 100 && sw_audit_recovered(log)->rebuilt == 0);
    if (!log) return;
    append_n(log, 100, 5);
    sw_buf b = {0};
    T_CHECK(sw_audit_read(log, 103, &b, &err) == 0 && strncmp(b.data, "{\"i\":103,", 9) == 0);
    T_CHECK(sw_audit_read(log, 105, &b, &err) == -1);
    sw_buf_free(&b);
    sw_audit_verify_report rep;
    T_CHECK_MSG(sw_audit_verify(log, &rep, &err) == 0, "%s", err.msg);
    T_CHECK(rep.records == 105 && rep.checkpoints >= 1);
    /* a second writer is refused, naming the holder */
    sw_audit *two = open_log(0, &err);
    T_CHECK(two == NULL && strstr(err.msg, "open for writing by another process"));
    T_CHECK(sw_audit_close(log, &err) == 0);
}

typedef struct worker {
    sw_audit *log;
    int id, n, async;
    uint64_t idx[400];
    int fails;
} worker;

static void *work(void *p) {
    worker *w = p;
    sw_err err;
    for (int i = 0; i < w->n; i++) {
        char rec[64];
        int len = snprintf(rec, sizeof rec, "{\"thread\":%d,\"i\":%d}", w->id, i);
        int rc = w->async ? sw_audit_submit(w->log, rec, (size_t)len, &w->idx[i], &err)
                          : sw_audit_append(w->log, rec, (size_t)len, &w->idx[i], &err);
        if (rc < 0) w->fails++;
    }
    if (w->async && w->n && sw_audit_sync(w->log, w->idx[w->n - 1], &err) < 0) w->fails++;
    return NULL;
}

static void test_concurrent_group_commit(void) {
    fresh_home();
    sw_err err;
    sw_audit *log = open_log(0, &err);
    if (!log) { T_CHECK(0); return; }
    enum { T = 4 };
    worker w[T];
    pthread_t th[T];
    for (int i = 0; i < T; i++) {
        w[i] = (worker){.log = log, .id = i, .n = i < 2 ? 60 : 400, .async = i >= 2};
        pthread_create(&th[i], NULL, work, &w[i]);
    }
    for (int i = 0; i < T; i++) pthread_join(th[i], NULL);
    uint64_t total = 0;
    static uint8_t seen[2000];
    memset(seen, 0, sizeof seen);
    int dup = 0;
    for (int i = 0; i < T; i++) {
        T_CHECK(w[i].fails == 0);
        for (int j = 0; j < w[i].n; j++) {
            if (w[i].idx[j] >= sizeof seen || seen[w[i].idx[j]]++) dup++;
            sw_buf b = {0};
            char want[64];
            snprintf(want, sizeof want, "{\"thread\":%d,\"i\":%d}", i, j);
            T_CHECK(sw_audit_read(log, w[i].idx[j], &b, &err) == 0 && strcmp(b.data, want) == 0);
            sw_buf_free(&b);
        }
        total += (uint64_t)w[i].n;
    }
    T_CHECK(dup == 0 && sw_audit_size(log) == total);
    /* group commit: many records per fdatasync (the async appenders alone queue 400
     * records before each wait) */
    sw_audit_stats st;
    sw_audit_get_stats(log, &st);
    T_CHECK_MSG(st.records == total && st.batches > 0 && st.batches < total / 2,
                "%llu batches for %llu records", (unsigned long long)st.batches, (unsigned long long)st.records);
    sw_audit_verify_report rep;
    T_CHECK_MSG(sw_audit_verify(log, &rep, &err) == 0 && rep.records == total, "%s", err.msg);
    T_CHECK(sw_audit_close(log, &err) == 0);
}

static void test_segments_roll_over(void) {
    fresh_home();
    sw_err err;
    sw_audit_opts o = {0};
    o.segment_bytes = 4096;
    sw_audit *log;
    T_CHECK(sw_audit_open(home, &o, &log, &err) == 0);
    append_n(log, 0, 300);
    static char big[5000];
    memset(big, 'x', sizeof big);
    uint64_t idx;
    T_CHECK(sw_audit_append(log, big, sizeof big, &idx, &err) == -1 && strstr(err.msg, "does not fit"));
    T_CHECK(sw_audit_close(log, &err) == 0);
    char p[400];
    seg_path(p, sizeof p, 3);
    T_CHECK(file_size(p) > 0);
    sw_audit_verify_report rep;
    T_CHECK_MSG(verify(&rep, &err) == 0 && rep.records == 300, "%s", err.msg);
    log = open_log(1, &err);
    uint8_t proof[SW_MERKLE_MAX_PROOF][32], root[32], leaf[32];
    size_t n;
    T_CHECK(log && sw_audit_prove(log, 177, 300, proof, &n, &err) == 0 && sw_audit_root(log, 300, root, &err) == 0 &&
            sw_audit_leaf(log, 177, leaf, &err) == 0 &&
            sw_merkle_verify_inclusion(leaf, 177, 300, (const uint8_t(*)[32])proof, n, root, &err) == 0);
    sw_audit_close(log, NULL);
}

/* ---------------------------------------------------------------- tampering */

/* Builds a log of 12 records and returns the first byte offset of each record's frame. */
static void small_log(long starts[13]) {
    fresh_home();
    sw_err err;
    sw_audit *log = open_log(0, &err);
    if (!log) { T_CHECK(0); return; }
    append_n(log, 0, 12);
    T_CHECK(sw_audit_close(log, &err) == 0);
    char p[400];
    seg_path(p, sizeof p, 0);
    long len;
    unsigned char *b = slurp(p, &len);
    long off = 0;
    for (int i = 0; i < 12; i++) {
        starts[i] = off;
        sw_audit_frame fr;
        T_CHECK(sw_audit_frame_parse(b + off, (size_t)(len - off), &fr, &err) == 1);
        off += (long)fr.frame_len;
    }
    starts[12] = off;
    T_CHECK(off == len);
    free(b);
}

static void test_verify_flipped_bytes(void) {
    long starts[13];
    small_log(starts);
    char p[400];
    seg_path(p, sizeof p, 0);
    long len;
    unsigned char *orig = slurp(p, &len);
    int missed = 0, misnamed = 0;
    for (long i = 0; i < len; i++) {
        orig[i] ^= 0x20;
        spill(p, orig, len);
        orig[i] ^= 0x20;
        sw_audit_verify_report rep;
        sw_err err;
        if (verify(&rep, &err) == 0) missed++;
        else {
            int rec = 0;
            while (rec < 12 && starts[rec + 1] <= i) rec++;
            if (!rep.has_bad_record || rep.bad_record != (uint64_t)rec) {
                if (misnamed++ < 3) fprintf(stderr, "  byte %ld: named %d (%s)\n", i, (int)rep.bad_record, err.msg);
            }
        }
    }
    /* two damaged records: the first is the one named */
    orig[starts[9] + 25] ^= 1;
    orig[starts[3] + 25] ^= 1;
    spill(p, orig, len);
    sw_audit_verify_report rep2;
    sw_err err2;
    T_CHECK(verify(&rep2, &err2) == -1 && rep2.has_bad_record && rep2.bad_record == 3);
    orig[starts[9] + 25] ^= 1;
    orig[starts[3] + 25] ^= 1;
    spill(p, orig, len);
    free(orig);
    T_CHECK_MSG(missed == 0, "%d flipped bytes undetected", missed);
    T_CHECK_MSG(misnamed == 0, "%d flips named the wrong record", misnamed);
    sw_audit_verify_report rep;
    sw_err err;
    T_CHECK(verify(&rep, &err) == 0);
}

static void test_verify_deleted_and_reordered(void) {
    long s[13];
    small_log(s);
    char p[400];
    seg_path(p, sizeof p, 0);
    long len;
    unsigned char *orig = slurp(p, &len), *b = malloc((size_t)len);
    sw_audit_verify_report rep;
    sw_err err;
    /* delete record 5 */
    long k = 0;
    memcpy(b, orig, (size_t)s[5]);
    k = s[5];
    memcpy(b + k, orig + s[6], (size_t)(len - s[6]));
    k += len - s[6];
    spill(p, b, k);
    T_CHECK(verify(&rep, &err) == -1 && rep.has_bad_record && rep.bad_record == 5);
    T_CHECK_MSG(strstr(err.msg, "record 5"), "%s", err.msg);
    /* swap records 7 and 8 */
    memcpy(b, orig, (size_t)s[7]);
    k = s[7];
    memcpy(b + k, orig + s[8], (size_t)(s[9] - s[8]));
    k += s[9] - s[8];
    memcpy(b + k, orig + s[7], (size_t)(s[8] - s[7]));
    k += s[8] - s[7];
    memcpy(b + k, orig + s[9], (size_t)(len - s[9]));
    k += len - s[9];
    spill(p, b, k);
    T_CHECK(verify(&rep, &err) == -1 && rep.has_bad_record && rep.bad_record == 7);
    /* drop the last record: the signed checkpoint of 12 records catches it */
    spill(p, orig, s[11]);
    T_CHECK(verify(&rep, &err) == -1 && rep.has_bad_record && rep.bad_record == 11);
    T_CHECK_MSG(strstr(err.msg, "record 11"), "%s", err.msg);
    spill(p, orig, len);
    T_CHECK(verify(&rep, &err) == 0);
    free(orig);
    free(b);
}

/* A forger who rewrites a record and every derived file consistently is still caught by
 * the signed checkpoint. */
static void test_verify_consistent_forgery(void) {
    long s[13];
    small_log(s);
    char saved[400], cmd[2400];
    snprintf(saved, sizeof saved, "%s.cp", home);
    snprintf(cmd, sizeof cmd, "cp '%s/audit/checkpoints.log' '%s' && rm -rf '%s/audit/index' '%s/audit/tree' "
             "'%s/audit/checkpoint' '%s/audit/checkpoints.log'", home, saved, home, home, home, home);
    T_CHECK(system(cmd) == 0);
    char p[400];
    seg_path(p, sizeof p, 0);
    long len;
    unsigned char *b = slurp(p, &len);
    /* rewrite record 4's frame with new content and a valid checksum */
    sw_buf fr = {0};
    sw_err err;
    T_CHECK(sw_audit_frame_encode(&fr, 4, "{\"i\":4,\"pad\":\"abcX\"}", 20, &err) == 0);
    T_CHECK((long)fr.len == s[5] - s[4]);
    memcpy(b + s[4], fr.data, fr.len);
    spill(p, b, len);
    sw_buf_free(&fr);
    free(b);
    sw_audit_opts o = {0};
    o.no_checkpoint_on_close = 1;
    sw_audit *log;
    T_CHECK(sw_audit_open(home, &o, &log, &err) == 0 && sw_audit_recovered(log)->rebuilt == 12);
    sw_audit_close(log, NULL);
    sw_audit_verify_report rep;
    T_CHECK(verify(&rep, &err) == 0); /* nothing signed yet: internally consistent */
    snprintf(cmd, sizeof cmd, "cp '%s' '%s/audit/checkpoints.log'", saved, home);
    T_CHECK(system(cmd) == 0);
    T_CHECK(verify(&rep, &err) == -1 && rep.has_bad_record && rep.bad_record == 0);
    T_CHECK_MSG(strstr(err.msg, "do not match their signed checkpoint"), "%s", err.msg);
    unlink(saved);
}

/* ---------------------------------------------------------------- recovery */

static void test_recovery_torn_tail(void) {
    fresh_home();
    sw_err err;
    sw_audit_opts o = {0};
    o.no_checkpoint_on_close = 1; /* as if the process died: no final checkpoint */
    sw_audit *log;
    T_CHECK(sw_audit_open(home, &o, &log, &err) == 0);
    append_n(log, 0, 20);
    sw_audit_close(log, NULL);
    char p[400];
    seg_path(p, sizeof p, 0);
    long len0 = file_size(p);
    /* a torn frame: a complete header for record 20, half its bytes */
    sw_buf fr = {0};
    sw_audit_frame_encode(&fr, 20, "{\"i\":20,\"torn\":true}", 21, &err);
    int fd = open(p, O_WRONLY | O_APPEND);
    size_t torn = fr.len / 2;
    T_CHECK(write(fd, fr.data, torn) == (ssize_t)torn);
    close(fd);
    sw_buf_free(&fr);
    T_CHECK(sw_audit_open(home, &o, &log, &err) == 0);
    if (!log) return;
    const sw_audit_recovery *r = sw_audit_recovered(log);
    T_CHECK(r->truncated_bytes == torn);
    T_CHECK(r->truncated_from == 20 && sw_audit_size(log) == 20 && file_size(p) == len0);
    append_n(log, 20, 3);
    sw_audit_close(log, NULL);
    sw_audit_verify_report rep;
    T_CHECK_MSG(verify(&rep, &err) == 0 && rep.records == 23, "%s", err.msg);

    /* derived files lost (index and tree): rebuilt from the segments */
    char cmd[2000];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/audit/index' '%s/audit/tree'", home, home);
    T_CHECK(system(cmd) == 0);
    T_CHECK(sw_audit_open(home, &o, &log, &err) == 0 && sw_audit_recovered(log)->rebuilt == 23);
    sw_audit_close(log, NULL);
    T_CHECK(verify(&rep, &err) == 0 && rep.records == 23);

    /* damage in the middle of acknowledged, checkpointed records is never truncated */
    T_CHECK(sw_audit_open(home, NULL, &log, &err) == 0);
    sw_audit_close(log, NULL); /* writes a checkpoint of 23 */
    snprintf(cmd, sizeof cmd, "rm -rf '%s/audit/index' '%s/audit/tree'", home, home);
    T_CHECK(system(cmd) == 0);
    long len;
    unsigned char *b = slurp(p, &len);
    b[len / 2] ^= 1;
    spill(p, b, len);
    T_CHECK(sw_audit_open(home, NULL, &log, &err) == -1);
    T_CHECK_MSG(strstr(err.msg, "damage, not a torn tail: nothing was changed"), "%s", err.msg);
    T_CHECK(file_size(p) == len);
    free(b);
}

/* A write that fails (the file-size limit stands in for a full disk) is never
 * acknowledged, leaves the log unusable rather than half-working, and the next open
 * recovers every acknowledged record. */
static void test_write_failure_not_acknowledged(void) {
    fresh_home();
    int pipefd[2];
    T_CHECK(pipe(pipefd) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(pipefd[0]);
        signal(SIGXFSZ, SIG_IGN);
        sw_err err;
        sw_audit_opts o = {0};
        o.no_checkpoint_on_close = 1;
        sw_audit *log;
        if (sw_audit_open(home, &o, &log, &err) < 0) _exit(2);
        struct rlimit rl = {20000, 20000}; /* bytes per file */
        setrlimit(RLIMIT_FSIZE, &rl);
        uint64_t acked = 0, idx;
        char rec[200];
        for (int i = 0; i < 1000; i++) {
            int len = snprintf(rec, sizeof rec, "{\"i\":%d,\"pad\":\"%080d\"}", i, i);
            if (sw_audit_append(log, rec, (size_t)len, &idx, &err) < 0) break;
            acked = idx + 1;
        }
        int later = sw_audit_append(log, "{}", 2, &idx, &err); /* must fail too */
        int unusable = later < 0 && strstr(err.msg, "unusable") != NULL;
        if (write(pipefd[1], &acked, sizeof acked) != sizeof acked || write(pipefd[1], &unusable, sizeof unusable) < 0)
            _exit(3);
        _exit(0); /* no close: as if the process died */
    }
    close(pipefd[1]);
    uint64_t acked = 0;
    int unusable = 0;
    T_CHECK(read(pipefd[0], &acked, sizeof acked) == sizeof acked);
    T_CHECK(read(pipefd[0], &unusable, sizeof unusable) == sizeof unusable);
    close(pipefd[0]);
    int status;
    waitpid(pid, &status, 0);
    T_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    T_CHECK_MSG(acked > 50 && acked < 1000, "%llu acknowledged", (unsigned long long)acked);
    T_CHECK(unusable);
    sw_err err;
    sw_audit *log = open_log(0, &err);
    T_CHECK_MSG(log != NULL, "%s", err.msg);
    if (!log) return;
    T_CHECK_MSG(sw_audit_size(log) == acked, "%llu records after recovery, %llu acknowledged",
                (unsigned long long)sw_audit_size(log), (unsigned long long)acked);
    sw_buf b = {0};
    char want[64];
    snprintf(want, sizeof want, "{\"i\":%d,", (int)acked - 1);
    T_CHECK(sw_audit_read(log, acked - 1, &b, &err) == 0 && strncmp(b.data, want, strlen(want)) == 0);
    sw_buf_free(&b);
    append_n(log, (int)acked, 1);
    sw_audit_close(log, NULL);
    sw_audit_verify_report rep;
    T_CHECK_MSG(verify(&rep, &err) == 0 && rep.records == acked + 1, "%s", err.msg);
}

/* ---------------------------------------------------------------- checkpoints, keys */

static void test_checkpoints_and_keys(void) {
    fresh_home();
    sw_err err;
    sw_audit *log = open_log(0, &err);
    if (!log) { T_CHECK(0); return; }
    char keyp[400];
    snprintf(keyp, sizeof keyp, "%s/keys/audit.key", home);
    struct stat st;
    T_CHECK(stat(keyp, &st) == 0 && (st.st_mode & 0777) == 0600);
    append_n(log, 0, 7);
    sw_checkpoint c1, c2, c;
    sw_buf n1 = {0}, n2 = {0};
    T_CHECK(sw_audit_checkpoint(log, &c1, &n1, &err) == 0 && c1.size == 7);
    T_CHECK(sw_audit_verify_note(log, n1.data, n1.len, &c, &err) == 0 && c.size == 7 &&
            memcmp(c.root, c1.root, 32) == 0);
    for (size_t i = 0; i < n1.len; i++) { /* any change to the note is rejected */
        n1.data[i] ^= 4;
        T_CHECK_MSG(sw_audit_verify_note(log, n1.data, n1.len, &c, &err) == -1, "byte %zu", i);
        n1.data[i] ^= 4;
    }
    /* rotate the key: a lineage record, and the old checkpoint still verifies */
    uint64_t idx;
    T_CHECK_MSG(sw_audit_rotate_key(log, "admin", &idx, &err) == 0 && idx == 7, "%s", err.msg);
    T_CHECK(sw_audit_verify_note(log, n1.data, n1.len, &c, &err) == 0);
    append_n(log, 8, 5);
    T_CHECK(sw_audit_checkpoint(log, &c2, &n2, &err) == 0 && c2.size == 13);
    /* consistency between the two signed checkpoints */
    uint8_t proof[SW_MERKLE_MAX_PROOF][32];
    size_t k;
    T_CHECK(sw_audit_consistency(log, c1.size, c2.size, proof, &k, &err) == 0 &&
            sw_merkle_verify_consistency(c1.size, c2.size, c1.root, c2.root, (const uint8_t(*)[32])proof, k, &err) == 0);
    c1.root[3] ^= 1;
    T_CHECK(sw_merkle_verify_consistency(c1.size, c2.size, c1.root, c2.root, (const uint8_t(*)[32])proof, k, &err) == -1);
    sw_buf rec = {0};
    T_CHECK(sw_audit_read(log, 7, &rec, &err) == 0 && strstr(rec.data, "\"event\":\"key\"") &&
            strstr(rec.data, "\"principal\":\"admin\""));
    sw_buf_free(&rec);
    sw_audit_close(log, NULL);
    uint8_t pubs[8][32];
    size_t np;
    T_CHECK(sw_keys_public_all(home, "audit", pubs, 8, &np, &err) == 0 && np == 2);
    sw_audit_verify_report rep;
    T_CHECK_MSG(verify(&rep, &err) == 0 && rep.checkpoints >= 3, "%s", err.msg);
    /* an unknown key's signature is not accepted */
    sw_keypair other;
    sw_checkpoint fake = c2;
    sw_buf fn = {0};
    char otherhome[300];
    snprintf(otherhome, sizeof otherhome, "%s/other", home);
    T_CHECK(sw_keys_load_or_create(otherhome, "audit", &other, &err) == 0);
    T_CHECK(sw_checkpoint_sign(&fake, other.sk, &fn, &err) == 0);
    log = open_log(1, &err);
    T_CHECK(log && sw_audit_verify_note(log, fn.data, fn.len, &c, &err) == -1 && strstr(err.msg, "no signature by a known key"));
    sw_audit_close(log, NULL);
    sw_buf_free(&n1);
    sw_buf_free(&n2);
    sw_buf_free(&fn);
}

/* Checkpoints are signed at the configured interval, not only on close. */
static void test_checkpoint_interval(void) {
    fresh_home();
    sw_err err;
    sw_audit_opts o = {0};
    o.checkpoint_every = 10;
    o.checkpoint_ms = 3600000;
    o.no_checkpoint_on_close = 1;
    sw_audit *log;
    T_CHECK(sw_audit_open(home, &o, &log, &err) == 0);
    if (!log) return;
    append_n(log, 0, 35); /* blocking appends: one batch each */
    sw_audit_stats st;
    sw_audit_get_stats(log, &st);
    T_CHECK_MSG(st.checkpoints == 3, "%llu checkpoints", (unsigned long long)st.checkpoints);
    sw_checkpoint cp;
    T_CHECK(sw_audit_latest_checkpoint(log, &cp, NULL, &err) == 0 && cp.size == 30);
    T_CHECK(sw_audit_find_checkpoint(log, 10, &cp, NULL, &err) == 0 &&
            sw_audit_find_checkpoint(log, 20, &cp, NULL, &err) == 0);
    sw_audit_close(log, NULL);
}

static void test_lineage(void) {
    fresh_home();
    sw_err err;
    sw_audit *log = open_log(0, &err);
    if (!log) { T_CHECK(0); return; }
    char h1[65], h2[65], h3[65];
    uint8_t h[32];
    sw_sha256("dataset", 7, h);
    sw_hex(h, 32, h1);
    sw_sha256("tokenizer", 9, h);
    sw_hex(h, 32, h2);
    sw_sha256("model", 5, h);
    sw_hex(h, 32, h3);
    sw_audit_artifact in[2] = {{"dataset", "data/train.jsonl", h1}, {"tokenizer", "tok.json", h2}};
    sw_audit_artifact out[1] = {{"model", "models/m.gguf", h3}};
    uint64_t idx;
    T_CHECK_MSG(sw_audit_lineage(log, "train", "alice", in, 2, out, 1, "{\"epochs\":3}", &idx, &err) == 0, "%s", err.msg);
    sw_buf b = {0};
    T_CHECK(sw_audit_read(log, idx, &b, &err) == 0);
    T_CHECK(strstr(b.data, "\"type\":\"lineage\"") && strstr(b.data, "\"event\":\"train\"") &&
            strstr(b.data, h1) && strstr(b.data, h3) && strstr(b.data, "\"epochs\":3"));
    sw_buf_free(&b);
    sw_audit_artifact badh = {"policy", "p.yaml", "not-a-hash"};
    T_CHECK(sw_audit_lineage(log, "policy", NULL, &badh, 1, NULL, 0, NULL, &idx, &err) == -1);
    T_CHECK(sw_audit_lineage(log, "policy", NULL, out, 1, in, 1, "[1]", &idx, &err) == -1);
    T_CHECK(sw_audit_lineage(log, "policy", "bob", in, 1, out, 1, NULL, &idx, &err) == 0 && idx == 1);
    sw_audit_close(log, NULL);
}

/* An empty or absent note is an error, never a null pointer handed to memchr (UBSan). */
static void test_checkpoint_empty_note(void) {
    sw_checkpoint cp;
    sw_err err;
    uint8_t pub[1][32] = {{0}};
    T_CHECK(sw_checkpoint_parse(NULL, 0, &cp, &err) == -1 && strstr(err.msg, "empty"));
    T_CHECK(sw_checkpoint_verify(NULL, 0, (const uint8_t(*)[32])pub, 1, &cp, &err) == -1);
    T_CHECK(sw_checkpoint_verify("", 0, (const uint8_t(*)[32])pub, 1, &cp, &err) == -1);
}

/* A checkpoint signs the root of the records, whatever the tree files say: a flipped byte
 * in the stored compact range is caught at open (against the signed checkpoint) and the
 * tree rebuilt; flips after open never reach a signature. */
static void test_checkpoint_ignores_damaged_tree(void) {
    fresh_home();
    sw_err err;
    sw_audit *log = open_log(0, &err);
    if (!log) { T_CHECK(0); return; }
    uint64_t idx = 0;
    for (int i = 0; i < 1000; i++) { /* one fdatasync for all */
        char rec[64];
        int n = snprintf(rec, sizeof rec, "{\"i\":%d}", i);
        T_CHECK(sw_audit_submit(log, rec, (size_t)n, &idx, &err) == 0);
    }
    T_CHECK(sw_audit_sync(log, idx, &err) == 0);
    sw_audit_close(log, NULL);
    char p[400];
    snprintf(p, sizeof p, "%s/audit/tree/level-09", home);
    long len;
    unsigned char *b = slurp(p, &len);
    T_CHECK(b && len == 32);
    if (b) { b[5] ^= 1; spill(p, b, len); free(b); }
    log = open_log(0, &err);
    if (!log) { T_CHECK(0); return; }
    snprintf(p, sizeof p, "%s/audit/tree/level-08", home); /* and after open */
    b = slurp(p, &len);
    if (b) { b[len - 1] ^= 1; spill(p, b, len); free(b); }
    append_n(log, 1000, 1);
    sw_checkpoint cp;
    T_CHECK(sw_audit_checkpoint(log, &cp, NULL, &err) == 0 && cp.size == 1001);
    sw_audit_close(log, NULL);
    char cmd[1000];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/audit/index' '%s/audit/tree'", home, home);
    T_CHECK(system(cmd) == 0);
    log = open_log(0, &err); /* rebuilt from the segments */
    if (log) sw_audit_close(log, NULL);
    sw_audit_verify_report rep;
    T_CHECK_MSG(verify(&rep, &err) == 0 && rep.records == 1001, "%s", err.msg);
}

/* ---------------------------------------------------------------- retention */

static void test_retention_crypto_shredding(void) {
    fresh_home();
    sw_err err;
    sw_audit *log = open_log(0, &err);
    if (!log) { T_CHECK(0); return; }
    uint64_t s0, s1, idx0, idx1;
    const char *secret = "the user's prompt: my card is 4111 1111 1111 1111";
    T_CHECK(sw_audit_retain(log, secret, strlen(secret), &s0, &err) == 0);
    T_CHECK(sw_audit_retain(log, "second", 6, &s1, &err) == 0 && s1 == s0 + 1);
    char rec[256], h0[65], h1[65];
    sw_sha256_hex(secret, strlen(secret), h0);
    sw_sha256_hex("second", 6, h1);
    snprintf(rec, sizeof rec, "{\"content_sha256\":\"%s\",\"type\":\"generation\",\"retained\":{\"slot\":%llu}}",
             h0, (unsigned long long)s0);
    T_CHECK(sw_audit_append(log, rec, strlen(rec), &idx0, &err) == 0);
    snprintf(rec, sizeof rec, "{\"content_sha256\":\"%s\",\"type\":\"generation\",\"retained\":{\"slot\":%llu}}",
             h1, (unsigned long long)s1);
    T_CHECK(sw_audit_append(log, rec, strlen(rec), &idx1, &err) == 0);
    sw_buf b = {0};
    uint64_t slot, hostile, bare;
    T_CHECK(sw_audit_record_slot(log, idx0, &slot, &err) == 0 && slot == s0);
    T_CHECK(sw_audit_recall(log, slot, &b, &err) == 0 && strcmp(b.data, secret) == 0);
    sw_buf_reset(&b);
    T_CHECK(sw_audit_recall_record(log, idx0, &b, &err) == 0 && b.len == strlen(secret));
    /* a record that claims another record's slot recalls and forgets nothing */
    snprintf(rec, sizeof rec, "{\"content_sha256\":\"%s\",\"retained\":{\"slot\":%llu}}", h1,
             (unsigned long long)s0);
    T_CHECK(sw_audit_append(log, rec, strlen(rec), &hostile, &err) == 0);
    snprintf(rec, sizeof rec, "{\"retained\":{\"slot\":%llu}}", (unsigned long long)s0);
    T_CHECK(sw_audit_append(log, rec, strlen(rec), &bare, &err) == 0);
    sw_buf_reset(&b);
    T_CHECK(sw_audit_recall_record(log, hostile, &b, &err) == -1 && b.len == 0 && strstr(err.msg, "another record"));
    T_CHECK(sw_audit_forget_record(log, hostile, &err) == -1 && strstr(err.msg, "another record"));
    T_CHECK(sw_audit_recall_record(log, bare, &b, &err) == -1 && strstr(err.msg, "content_sha256"));
    T_CHECK(sw_audit_forget_record(log, bare, &err) == -1 && strstr(err.msg, "content_sha256"));
    T_CHECK(sw_audit_recall_record(log, idx0, &b, &err) == 0 && strcmp(b.data, secret) == 0);
    /* ciphertext only on disk */
    char p[400];
    snprintf(p, sizeof p, "%s/audit/vault/data", home);
    long len;
    unsigned char *raw = slurp(p, &len);
    T_CHECK(raw && !memmem(raw, (size_t)len, "4111", 4));
    free(raw);
    T_CHECK(sw_audit_forget(log, s0, &err) == 0 && sw_audit_forget(log, s0, &err) == 0);
    sw_buf_reset(&b);
    T_CHECK(sw_audit_recall(log, s0, &b, &err) == -1 && strstr(err.msg, "forgotten"));
    T_CHECK(sw_audit_recall(log, s1, &b, &err) == 0);
    /* nothing is older than a day; everything is older than -1 s */
    uint64_t count;
    T_CHECK(sw_audit_forget_expired(log, 86400, time(NULL), &count, &err) == 0 && count == 0);
    T_CHECK(sw_audit_forget_expired(log, SW_AUDIT_RETENTION_DEFAULT_S, time(NULL) + SW_AUDIT_RETENTION_DEFAULT_S + 1,
                                    &count, &err) == 0 && count == 1);
    sw_buf_reset(&b);
    T_CHECK(sw_audit_recall(log, s1, &b, &err) == -1);
    /* the key bytes are gone from the key file */
    snprintf(p, sizeof p, "%s/audit/vault/keys", home);
    raw = slurp(p, &len);
    int nonzero = 0;
    for (long i = 0; raw && i < len; i += 64)
        for (int j = 24; j < 56; j++) nonzero |= raw[i + j];
    T_CHECK(raw && len == 128 && nonzero == 0);
    free(raw);
    sw_buf_free(&b);
    sw_audit_close(log, NULL);
    /* the records and their hashes still verify */
    sw_audit_verify_report rep;
    T_CHECK(verify(&rep, &err) == 0 && rep.records == 4);
}

int main(void) {
    T_RUN(test_merkle_verifiers_reject_mutations);
    T_RUN(test_hashes_match_libsodium);
    T_RUN(test_frames);
    T_RUN(test_append_reopen_read);
    T_RUN(test_concurrent_group_commit);
    T_RUN(test_segments_roll_over);
    T_RUN(test_verify_flipped_bytes);
    T_RUN(test_verify_deleted_and_reordered);
    T_RUN(test_verify_consistent_forgery);
    T_RUN(test_recovery_torn_tail);
    T_RUN(test_write_failure_not_acknowledged);
    T_RUN(test_checkpoints_and_keys);
    T_RUN(test_checkpoint_interval);
    T_RUN(test_lineage);
    T_RUN(test_checkpoint_empty_note);
    T_RUN(test_checkpoint_ignores_damaged_tree);
    T_RUN(test_retention_crypto_shredding);
    if (home[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
        if (system(cmd) != 0) return 1;
    }
    return t_done();
}
