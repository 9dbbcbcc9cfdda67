/* verify.c - full verification of the audit log: every frame, leaf, stored subtree hash,
 * index entry and signed checkpoint, recomputed from the segments. */
#include "audit_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* A read-only mapping of a derived file, or NULL when it is empty. */
typedef struct vmap {
    const uint8_t *p;
    size_t len;
} vmap;

static int vmap_open(int fd, size_t need, const char *what, vmap *m, sw_err *err) {
    m->p = NULL;
    m->len = 0;
    if (need == 0) return 0;
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || (uint64_t)st.st_size < need)
        return sw_err_set(err, "%s: shorter than the log needs (%zu bytes)", what, need);
    void *p = mmap(NULL, need, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return sw_err_set(err, "%s: mmap failed", what);
    madvise(p, need, MADV_SEQUENTIAL);
    m->p = p;
    m->len = need;
    return 0;
}

static void vmap_close(vmap *m) {
    if (m->p) munmap((void *)m->p, m->len);
}

typedef struct vctx {
    sw_audit *a;
    vmap idx, lvl[AUDIT_LEVELS];
    sw_merkle_frontier front;
    sw_checkpoint *cps;
    size_t ncps, next_cp; /* checkpoints sorted by size */
    uint64_t matched_upto; /* records covered by the last matching checkpoint */
    sw_audit_verify_report *rep;
    int bad_node;
    unsigned bad_level;
    uint64_t bad_index;
} vctx;

static uint64_t get64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static void check_node(void *ud, unsigned level, uint64_t index, const uint8_t h[SW_HASH_BYTES]) {
    vctx *c = ud;
    if (c->bad_node || level == 0) return; /* leaves are checked by the caller */
    if (memcmp(c->lvl[level].p + index * SW_HASH_BYTES, h, SW_HASH_BYTES) != 0) {
        c->bad_node = 1;
        c->bad_level = level;
        c->bad_index = index;
    }
}

static int bad(vctx *c, uint64_t record, sw_err *err) {
    c->rep->has_bad_record = 1;
    c->rep->bad_record = record;
    (void)err;
    return -1;
}

/* Compares the root after `size` records with every checkpoint of that size. */
static int check_checkpoints(vctx *c, uint64_t size, sw_err *err) {
    while (c->next_cp < c->ncps && c->cps[c->next_cp].size == size) {
        uint8_t root[SW_HASH_BYTES];
        sw_merkle_frontier_root(&c->front, root);
        if (memcmp(root, c->cps[c->next_cp].root, SW_HASH_BYTES) != 0) {
            sw_err_set(err, "the first %" PRIu64 " records do not match their signed checkpoint "
                       "(root differs); the checkpoint of %" PRIu64 " records matched, so a record "
                       "in %" PRIu64 "..%" PRIu64 " was altered, inserted or removed",
                       size, c->matched_upto, c->matched_upto, size - 1);
            return bad(c, c->matched_upto, err);
        }
        c->matched_upto = size;
        c->rep->checkpoints++;
        c->next_cp++;
    }
    return 0;
}

static int verify_cb(vctx *c, uint64_t i, uint64_t pos, const uint8_t *rec, size_t len, sw_err *err) {
    if (get64(c->idx.p + i * 8) != pos) {
        sw_err_set(err, "record %" PRIu64 ": the index says offset %" PRIu64 ", the record is at %" PRIu64,
                   i, get64(c->idx.p + i * 8), pos);
        return bad(c, i, err);
    }
    uint8_t leaf[SW_HASH_BYTES];
    sw_merkle_leaf_hash(rec, len, leaf);
    if (memcmp(leaf, c->lvl[0].p + i * SW_HASH_BYTES, SW_HASH_BYTES) != 0) {
        sw_err_set(err, "record %" PRIu64 ": its hash differs from the stored leaf hash (record altered)", i);
        return bad(c, i, err);
    }
    sw_merkle_frontier_push(&c->front, leaf, check_node, c);
    if (c->bad_node) {
        uint64_t first = c->bad_index << c->bad_level;
        sw_err_set(err, "stored subtree hash at level %u index %" PRIu64 " (records %" PRIu64 "..%" PRIu64
                   ") differs from the records", c->bad_level, c->bad_index, first,
                   first + ((uint64_t)1 << c->bad_level) - 1);
        return bad(c, first, err);
    }
    c->rep->records = i + 1;
    return check_checkpoints(c, i + 1, err);
}

static int cmp_cp(const void *x, const void *y) {
    const sw_checkpoint *a = x, *b = y;
    return a->size < b->size ? -1 : a->size > b->size;
}

static int walk_cb(void *ud, uint64_t number, uint64_t pos, const uint8_t *rec, size_t len, sw_err *err) {
    return verify_cb(ud, number, pos, rec, len, err);
}

int sw_audit_verify(sw_audit *a, sw_audit_verify_report *rep, sw_err *err) {
    memset(rep, 0, sizeof *rep);
    vctx *c = calloc(1, sizeof *c);
    if (!c) return sw_err_set(err, "audit: out of memory");
    c->a = a;
    c->rep = rep;
    uint64_t n = sw_audit_size(a);
    int rc = audit_checkpoints_all(a, &c->cps, &c->ncps, err);
    if (rc == 0) {
        if (c->ncps) qsort(c->cps, c->ncps, sizeof *c->cps, cmp_cp);
        rc = vmap_open(a->idx_fd, n * 8, "audit index", &c->idx, err);
    }
    for (unsigned l = 0; rc == 0 && l < AUDIT_LEVELS && (n >> l); l++) {
        char what[64];
        snprintf(what, sizeof what, "audit tree level %u", l);
        pthread_mutex_lock(&a->fd_mu);
        int fd = a->lvl_fd[l];
        pthread_mutex_unlock(&a->fd_mu);
        if (fd < 0) {
            uint8_t tmp[SW_HASH_BYTES];
            if (audit_node(a, l, 0, tmp, err) < 0) { rc = -1; break; } /* opens it */
            fd = a->lvl_fd[l];
        }
        rc = vmap_open(fd, (n >> l) * SW_HASH_BYTES, what, &c->lvl[l], err);
    }
    if (rc < 0) rep->has_bad_record = 0;
    if (rc == 0) {
        uint64_t stopped = 0;
        rc = check_checkpoints(c, 0, err);
        if (rc == 0) rc = audit_walk_frames(a, n, walk_cb, c, &stopped, err);
        if (rc < 0 && !rep->has_bad_record) { /* a frame was bad */
            rep->has_bad_record = 1;
            rep->bad_record = stopped;
        }
    }
    if (rc == 0 && c->next_cp < c->ncps) {
        rc = sw_err_set(err, "a signed checkpoint covers %" PRIu64 " records but the log has %" PRIu64
                        ": records from %" PRIu64 " on were removed", c->cps[c->next_cp].size, n, n);
        rep->has_bad_record = 1;
        rep->bad_record = n;
    }
    if (rc == 0) sw_merkle_frontier_root(&c->front, rep->root);
    vmap_close(&c->idx);
    for (unsigned l = 0; l < AUDIT_LEVELS; l++) vmap_close(&c->lvl[l]);
    free(c->cps);
    free(c);
    return rc;
}
