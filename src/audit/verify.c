/* verify.c - full verification of the audit log: every frame, leaf, stored subtree hash,
 * index entry and signed checkpoint, recomputed from the segments. */
#include "audit_int.h"

#include <inttypes.h>
#include <pthread.h>
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

typedef struct vbatch {
    uint64_t first;
    size_t n;
    const uint8_t *rec[8192];
    size_t len[8192];
    uint64_t pos[8192];
    uint8_t leaf[8192][SW_HASH_BYTES];
} vbatch;

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
    int nthreads;
    vbatch batch;
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

static int verify_one(vctx *c, uint64_t i, uint64_t pos, const uint8_t leaf[SW_HASH_BYTES], sw_err *err) {
    if (get64(c->idx.p + i * 8) != pos) {
        sw_err_set(err, "record %" PRIu64 ": the index says offset %" PRIu64 ", the record is at %" PRIu64,
                   i, get64(c->idx.p + i * 8), pos);
        return bad(c, i, err);
    }
    if (memcmp(leaf, c->lvl[0].p + i * SW_HASH_BYTES, SW_HASH_BYTES) != 0) {
        sw_err_set(err, "record %" PRIu64 ": its hash differs from the stored leaf hash (record altered)", i);
        return bad(c, i, err);
    }
    sw_merkle_frontier_push(&c->front, leaf, check_node, c);
    if (c->bad_node) {
        uint64_t first = c->bad_index << c->bad_level;
        sw_err_set(err, "stored subtree hash at level %u index %" PRIu64 " (records %" PRIu64 "..%" PRIu64
                   ") differs from the records (the tree files are derived: when the records are intact, "
                   "delete audit/index and audit/tree and the next writer rebuilds them)", c->bad_level, c->bad_index, first,
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

/* Frames are collected per batch; their leaf hashes (most of the work) are computed in
 * parallel, then checked in order so that the first bad record is the one named. */
#define BATCH 8192

typedef struct slice {
    vbatch *b;
    size_t from, to;
} slice;

static void *hash_slice(void *p) {
    slice *s = p;
    for (size_t i = s->from; i < s->to; i++) sw_merkle_leaf_hash(s->b->rec[i], s->b->len[i], s->b->leaf[i]);
    return NULL;
}

/* Plain threads per batch rather than OpenMP: no spinning workers between batches, which
 * matters on a machine shared with other work. */
static void hash_batch(vbatch *b, int nthreads) {
    enum { MAXT = 8 };
    slice sl[MAXT];
    pthread_t th[MAXT];
    int started[MAXT] = {0};
    if (nthreads > MAXT) nthreads = MAXT;
    if (b->n < 1024 || nthreads < 2) nthreads = 1;
    for (int t = 0; t < nthreads; t++) {
        sl[t] = (slice){b, b->n * (size_t)t / (size_t)nthreads, b->n * (size_t)(t + 1) / (size_t)nthreads};
        if (t > 0) started[t] = pthread_create(&th[t], NULL, hash_slice, &sl[t]) == 0;
    }
    hash_slice(&sl[0]);
    for (int t = 1; t < nthreads; t++) {
        if (started[t]) pthread_join(th[t], NULL);
        else hash_slice(&sl[t]);
    }
}

static int run_batch(vctx *c, sw_err *err) {
    vbatch *b = &c->batch;
    size_t n = b->n;
    hash_batch(b, c->nthreads);
    b->n = 0;
    for (size_t i = 0; i < n; i++)
        if (verify_one(c, b->first + (uint64_t)i, b->pos[i], b->leaf[i], err) < 0) return -1;
    return 0;
}

static int walk_cb(void *ud, uint64_t number, uint64_t pos, const uint8_t *rec, size_t len, sw_err *err) {
    vctx *c = ud;
    vbatch *b = &c->batch;
    if (!rec) return b->n ? run_batch(c, err) : 0; /* the segment's mapping is going away */
    if (b->n == 0) b->first = number;
    b->rec[b->n] = rec;
    b->len[b->n] = len;
    b->pos[b->n] = pos;
    if (++b->n == BATCH) return run_batch(c, err);
    return 0;
}

/* The latest checkpoint (the file that witnesses fetch) must verify too, and is matched
 * against the records like the stored history. */
static int add_latest(sw_audit *a, vctx *c, sw_err *err) {
    char path[4300];
    snprintf(path, sizeof path, "%s/checkpoint", a->dir);
    if (access(path, F_OK) != 0) return 0;
    sw_checkpoint cp;
    if (sw_audit_latest_checkpoint(a, &cp, NULL, err) < 0) return -1;
    sw_checkpoint *p = realloc(c->cps, (c->ncps + 1) * sizeof *p);
    if (!p) return sw_err_set(err, "audit: out of memory");
    c->cps = p;
    c->cps[c->ncps++] = cp;
    return 0;
}

int sw_audit_verify(sw_audit *a, sw_audit_verify_report *rep, sw_err *err) {
    memset(rep, 0, sizeof *rep);
    vctx *c = calloc(1, sizeof *c);
    if (!c) return sw_err_set(err, "audit: out of memory");
    c->a = a;
    c->rep = rep;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    const char *t = getenv("STEWARD_VERIFY_THREADS");
    c->nthreads = t && atoi(t) > 0 ? atoi(t) : cpus > 0 ? (int)cpus : 1;
    uint64_t n = sw_audit_size(a);
    int rc = audit_checkpoints_all(a, &c->cps, &c->ncps, err);
    if (rc == 0) rc = add_latest(a, c, err);
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
