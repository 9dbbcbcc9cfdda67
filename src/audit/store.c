/* store.c - the audit log's storage: segment files, the record index, the subtree-hash
 * files, group commit, crash recovery, reads, proofs and full verification.
 *
 * Invariants (what the rest of this file keeps true, and what recovery relies on):
 *
 * 1. The segments are the log. A record is acknowledged (sw_audit_append returns,
 *    sw_audit_sync passes its index, `steward audit append` prints it) only after the
 *    frames of its whole batch were written and fdatasync'd. Until then it may be torn.
 * 2. One batch is in flight at a time (the `flushing` leader), so at most one batch's
 *    frames can be torn after a crash: the torn bytes sit at the end of the last segment,
 *    after every acknowledged frame, and no valid frame follows them.
 * 3. Recovery may cut only such a torn tail: a bad frame with no later segment, no valid
 *    frame after it, fewer bytes after it than an unacknowledged batch can hold, and no
 *    signed checkpoint (the `checkpoint` file, or `checkpoints.log` when that is missing or
 *    damage was found) covering it. Anything else is damage: open fails, names the record,
 *    and touches no file (not even the derived ones), so readers keep what they had.
 * 4. `index` and `tree/level-LL` are derived: rebuilt from the segments whenever they
 *    disagree. Nothing that is signed is taken from them unchecked: at a writer open the
 *    stored compact range is trusted only at the size of a signed checkpoint whose root it
 *    reproduces, and the records after it are re-hashed from the segments; from then on
 *    checkpoints sign the root of the in-memory frontier, never a re-read of the files.
 * 5. `format` fixes segment_bytes for the life of the log; an open whose format disagrees
 *    with the segments on disk (a segment larger than segment_bytes, or one that ends
 *    where the next segment's first frame would still have fit) fails.
 * 6. One writer: the writer holds an exclusive flock on the audit directory itself (which
 *    cannot be unlinked from under it while it holds records); `lock` only names its pid.
 *    Readers take no lock and see the records whose index entries are written.
 * 7. `checkpoint` is replaced atomically (temp, fsync, rename) after its note was
 *    appended to `checkpoints.log` and fdatasync'd; a checkpoint never covers a record
 *    that is not durable. */
#include "audit_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_SEGMENT_BYTES (256ull << 20)
#define DEFAULT_MAX_PENDING (64ull << 20)
#define FORMAT_LINE "steward-audit 1 segment_bytes="

/* ---------------------------------------------------------------- small I/O helpers */

int audit_pwrite(int fd, const void *p, size_t n, uint64_t off, const char *what, sw_err *err) {
    const char *c = p;
    while (n) {
        ssize_t w = pwrite(fd, c, n, (off_t)off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return sw_err_set(err, "%s: write at offset %" PRIu64 ": %s", what, off,
                                      w < 0 ? strerror(errno) : "no progress");
        c += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

int audit_pread(int fd, void *p, size_t n, uint64_t off, const char *what, sw_err *err) {
    char *c = p;
    while (n) {
        ssize_t r = pread(fd, c, n, (off_t)off);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return sw_err_set(err, "%s: read at offset %" PRIu64 ": %s", what, off, strerror(errno));
        if (r == 0) return sw_err_set(err, "%s: unexpected end of file at offset %" PRIu64, what, off);
        c += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

static void put64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint64_t get64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static void seg_name(const sw_audit *a, uint32_t seg, char *out, size_t sz) {
    snprintf(out, sz, "%s/segment-%06u.log", a->dir, seg);
}

static int fsync_dir(const char *dir, sw_err *err) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return sw_err_set(err, "%s: cannot open directory: %s", dir, strerror(errno));
    int rc = fsync(fd);
    close(fd);
    if (rc != 0) return sw_err_set(err, "%s: fsync: %s", dir, strerror(errno));
    return 0;
}

static off_t fd_size(int fd) {
    struct stat st;
    return fstat(fd, &st) == 0 ? st.st_size : -1;
}

/* The descriptor of segment `seg`, opening (and with create, creating) it. -1 on error. */
static int seg_fd(sw_audit *a, uint32_t seg, int create, sw_err *err) {
    pthread_mutex_lock(&a->fd_mu);
    int fd = -1;
    if (seg < a->nseg && a->seg_fds[seg] >= 0) {
        fd = a->seg_fds[seg];
        pthread_mutex_unlock(&a->fd_mu);
        return fd;
    }
    char path[4300];
    seg_name(a, seg, path, sizeof path);
    int flags = a->read_only ? O_RDONLY : O_RDWR | (create ? O_CREAT : 0);
    fd = open(path, flags | O_CLOEXEC, 0600);
    if (fd < 0) {
        pthread_mutex_unlock(&a->fd_mu);
        return sw_err_set(err, "%s: cannot open: %s", path, strerror(errno));
    }
    if (seg >= a->nseg) {
        int *p = realloc(a->seg_fds, (seg + 1) * sizeof *p);
        if (!p) {
            close(fd);
            pthread_mutex_unlock(&a->fd_mu);
            return sw_err_set(err, "audit: out of memory");
        }
        for (uint32_t i = a->nseg; i <= seg; i++) p[i] = -1;
        a->seg_fds = p;
        a->nseg = seg + 1;
    }
    a->seg_fds[seg] = fd;
    pthread_mutex_unlock(&a->fd_mu);
    if (create && fsync_dir(a->dir, err) < 0) return -1; /* the new name must survive */
    return fd;
}

/* The descriptor of the level-l hash file, opened (created by writers) on first use. */
static int lvl_fd(sw_audit *a, unsigned l, sw_err *err) {
    pthread_mutex_lock(&a->fd_mu);
    int fd = a->lvl_fd[l];
    if (fd < 0) {
        char path[4300];
        snprintf(path, sizeof path, "%s/tree/level-%02u", a->dir, l);
        fd = open(path, (a->read_only ? O_RDONLY : O_RDWR | O_CREAT) | O_CLOEXEC, 0600);
        if (fd < 0) {
            pthread_mutex_unlock(&a->fd_mu);
            return sw_err_set(err, "%s: cannot open: %s", path, strerror(errno));
        }
        a->lvl_fd[l] = fd;
    }
    pthread_mutex_unlock(&a->fd_mu);
    return fd;
}

/* Reads a node through the level's mapping, (re)mapping the file when it has at least
 * doubled; returns 1 when served, 0 when the caller must pread. fd_mu held: the copy is
 * made under the lock, so an old mapping can be replaced at once. */
static int node_mapped(sw_audit *a, unsigned level, uint64_t off, uint8_t out[SW_HASH_BYTES]) {
    if (off + SW_HASH_BYTES > a->lvl_maplen[level]) {
        int fd = a->lvl_fd[level];
        off_t sz = fd >= 0 ? fd_size(fd) : -1;
        if (sz <= 0 || (uint64_t)sz < off + SW_HASH_BYTES || (size_t)sz < 2 * a->lvl_maplen[level]) return 0;
        void *p = mmap(NULL, (size_t)sz, PROT_READ, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) return 0;
        if (a->lvl_map[level]) munmap((void *)a->lvl_map[level], a->lvl_maplen[level]);
        a->lvl_map[level] = p;
        a->lvl_maplen[level] = (size_t)sz;
    }
    memcpy(out, a->lvl_map[level] + off, SW_HASH_BYTES);
    return 1;
}

int audit_node(void *ud, unsigned level, uint64_t index, uint8_t out[SW_HASH_BYTES], sw_err *err) {
    sw_audit *a = ud;
    if (level >= AUDIT_LEVELS) return sw_err_set(err, "audit: tree level %u out of range", level);
    pthread_mutex_lock(&a->fd_mu);
    int done = a->lvl_fd[level] >= 0 && node_mapped(a, level, index * SW_HASH_BYTES, out);
    pthread_mutex_unlock(&a->fd_mu);
    if (done) return 0;
    int fd = lvl_fd(a, level, err);
    if (fd < 0) return -1;
    if (audit_pread(fd, out, SW_HASH_BYTES, index * SW_HASH_BYTES, "audit tree file", err) < 0)
        return sw_err_prefix(err, "level %u node %" PRIu64, level, index);
    return 0;
}

/* ---------------------------------------------------------------- pending batch */

static void pend_emit(void *ud, unsigned level, uint64_t index, const uint8_t h[SW_HASH_BYTES]) {
    sw_audit *a = ud;
    if (a->pend_lvl[level].len == 0) a->pend_lvl_first[level] = index;
    if (sw_buf_append(&a->pend_lvl[level], h, SW_HASH_BYTES) < 0) {
        a->failed = 1;
        snprintf(a->failmsg, sizeof a->failmsg, "audit: out of memory");
    }
}

/* Adds a frame (record number already chosen) to the pending batch; mu held. */
static int pend_add(sw_audit *a, const sw_buf *frame, const uint8_t leaf[SW_HASH_BYTES], sw_err *err) {
    if (a->w_off > 0 && a->w_off + frame->len > a->seg_bytes) { /* roll over */
        a->w_seg++;
        a->w_off = 0;
    }
    audit_chunk *c = a->nchunks ? &a->chunks[a->nchunks - 1] : NULL;
    if (!c || c->seg != a->w_seg) {
        if (a->nchunks == a->chunks_cap) {
            size_t cap = a->chunks_cap ? 2 * a->chunks_cap : 4;
            audit_chunk *p = realloc(a->chunks, cap * sizeof *p);
            if (!p) return sw_err_set(err, "audit: out of memory");
            a->chunks = p;
            a->chunks_cap = cap;
        }
        c = &a->chunks[a->nchunks++];
        memset(c, 0, sizeof *c);
        c->seg = a->w_seg;
        c->off = a->w_off;
    }
    uint8_t off[8];
    put64(off, (uint64_t)a->w_seg * a->seg_bytes + a->w_off);
    if (sw_buf_append(&c->data, frame->data, frame->len) < 0 || sw_buf_append(&a->pend_idx, off, 8) < 0)
        return sw_err_set(err, "audit: out of memory");
    a->w_off += frame->len;
    a->pend_bytes += frame->len;
    sw_merkle_frontier_push(&a->front, leaf, pend_emit, a);
    a->assigned++;
    return 0;
}

/* Writes the derived files (index, subtree hashes) of a batch starting at record first. */
static int write_derived(sw_audit *a, uint64_t first, const sw_buf *idx, sw_buf *lvl,
                         const uint64_t *lvl_first, sw_err *err) {
    /* tree files first: a reader that sees the index grow finds the hashes in place */
    for (unsigned l = 0; l < AUDIT_LEVELS; l++) {
        if (!lvl[l].len) continue;
        int fd = lvl_fd(a, l, err);
        if (fd < 0 || audit_pwrite(fd, lvl[l].data, lvl[l].len, lvl_first[l] * SW_HASH_BYTES,
                                   "audit tree file", err) < 0)
            return -1;
    }
    if (idx->len && audit_pwrite(a->idx_fd, idx->data, idx->len, first * 8, "audit index", err) < 0)
        return -1;
    return 0;
}

/* Group commit: the caller (mu held, not flushing) becomes the leader, takes the whole
 * pending batch, writes and fdatasyncs it with mu released, then writes the derived
 * files and publishes the new durable size. Returns with mu held. */
static int flush_locked(sw_audit *a, sw_err *err) {
    if (a->assigned == a->durable) return 0;
    a->flushing = 1;
    uint64_t first = a->durable, upto = a->assigned;
    uint8_t root[SW_HASH_BYTES]; /* the frontier is at upto now: what a checkpoint signs */
    sw_merkle_frontier_root(&a->front, root);
    audit_chunk *chunks = a->chunks;
    size_t nchunks = a->nchunks;
    sw_buf idx = a->pend_idx, lvl[AUDIT_LEVELS];
    uint64_t lvl_first[AUDIT_LEVELS];
    memcpy(lvl, a->pend_lvl, sizeof lvl);
    memcpy(lvl_first, a->pend_lvl_first, sizeof lvl_first);
    a->chunks = NULL;
    a->nchunks = a->chunks_cap = 0;
    memset(&a->pend_idx, 0, sizeof a->pend_idx);
    memset(a->pend_lvl, 0, sizeof a->pend_lvl);
    a->pend_bytes = 0;
    pthread_mutex_unlock(&a->mu);

    sw_err e = {{0}};
    int rc = 0;
    for (size_t i = 0; i < nchunks && rc == 0; i++) {
        int fd = seg_fd(a, chunks[i].seg, 1, &e);
        if (fd < 0 || audit_pwrite(fd, chunks[i].data.data, chunks[i].data.len, chunks[i].off,
                                   "audit segment", &e) < 0)
            rc = -1;
        else if (fdatasync(fd) != 0)
            rc = sw_err_set(&e, "audit segment %u: fdatasync: %s", chunks[i].seg, strerror(errno));
    }
    if (rc == 0) rc = write_derived(a, first, &idx, lvl, lvl_first, &e);
    for (size_t i = 0; i < nchunks; i++) sw_buf_free(&chunks[i].data);
    free(chunks);
    sw_buf_free(&idx);
    for (unsigned l = 0; l < AUDIT_LEVELS; l++) sw_buf_free(&lvl[l]);

    int cp = rc == 0 && audit_checkpoint_due(a, upto);
    if (cp) {
        sw_err ce;
        if (audit_checkpoint_at(a, upto, root, NULL, NULL, &ce) < 0) sw_log(SW_LOG_ERROR, "audit: %s", ce.msg);
    }
    pthread_mutex_lock(&a->mu);
    if (rc < 0) {
        a->failed = 1;
        snprintf(a->failmsg, sizeof a->failmsg, "%s", e.msg);
    } else {
        a->durable = upto;
        memcpy(a->durable_root, root, SW_HASH_BYTES);
        a->stats.batches++;
        a->stats.records += upto - first;
    }
    a->flushing = 0;
    pthread_cond_broadcast(&a->cv);
    if (rc < 0) return sw_err_set(err, "%s", e.msg);
    return 0;
}

static int failed_err(sw_audit *a, sw_err *err) {
    return sw_err_set(err, "audit log unusable after a failed write (%s); the first %" PRIu64
                      " records are durable, later ones were not acknowledged. Fix the cause (free disk "
                      "space, check the device), then run any writer (e.g. `steward audit checkpoint`): "
                      "its recovery keeps every acknowledged record", a->failmsg, a->durable);
}

int sw_audit_submit(sw_audit *a, const void *rec, size_t len, uint64_t *index, sw_err *err) {
    if (a->read_only) return sw_err_set(err, "audit log opened read-only");
    /* hash and frame outside the lock; the number goes in under it */
    uint8_t leaf[SW_HASH_BYTES];
    sw_merkle_leaf_hash(rec, len, leaf);
    sw_buf frame = {0};
    pthread_mutex_lock(&a->mu);
    while (!a->failed && a->pend_bytes > a->opts.max_pending_bytes) { /* back-pressure */
        if (!a->flushing) flush_locked(a, NULL);
        else pthread_cond_wait(&a->cv, &a->mu);
    }
    int rc;
    if (a->failed) rc = failed_err(a, err);
    else if (len + SW_AUDIT_FRAME_HEADER > a->seg_bytes)
        rc = sw_err_set(err, "audit record of %zu bytes does not fit in a segment of %" PRIu64 " bytes",
                        len, a->seg_bytes);
    else if ((rc = sw_audit_frame_encode(&frame, a->assigned, rec, len, err)) == 0) {
        *index = a->assigned;
        if ((rc = pend_add(a, &frame, leaf, err)) < 0) { /* the batch is now inconsistent */
            a->failed = 1;
            snprintf(a->failmsg, sizeof a->failmsg, "%s", err ? err->msg : "out of memory");
        }
    }
    pthread_mutex_unlock(&a->mu);
    sw_buf_free(&frame);
    return rc;
}

int sw_audit_sync(sw_audit *a, uint64_t index, sw_err *err) {
    pthread_mutex_lock(&a->mu);
    int rc = 0;
    if (index >= a->assigned) {
        rc = sw_err_set(err, "audit: record %" PRIu64 " was never submitted", index);
    } else {
        while (a->durable <= index && !a->failed) {
            if (!a->flushing) flush_locked(a, NULL);
            else pthread_cond_wait(&a->cv, &a->mu);
        }
        if (a->durable <= index) rc = failed_err(a, err);
    }
    pthread_mutex_unlock(&a->mu);
    return rc;
}

int sw_audit_append(sw_audit *a, const void *rec, size_t len, uint64_t *index, sw_err *err) {
    uint64_t i;
    if (sw_audit_submit(a, rec, len, &i, err) < 0 || sw_audit_sync(a, i, err) < 0) return -1;
    *index = i;
    return 0;
}

void audit_durable_root(sw_audit *a, uint64_t *size, uint8_t root[SW_HASH_BYTES]) {
    pthread_mutex_lock(&a->mu);
    *size = a->durable;
    memcpy(root, a->durable_root, SW_HASH_BYTES);
    pthread_mutex_unlock(&a->mu);
}

uint64_t sw_audit_size(sw_audit *a) {
    pthread_mutex_lock(&a->mu);
    uint64_t n = a->durable;
    pthread_mutex_unlock(&a->mu);
    return n;
}

const sw_audit_recovery *sw_audit_recovered(const sw_audit *a) { return &a->rec; }

void sw_audit_get_stats(sw_audit *a, sw_audit_stats *st) {
    pthread_mutex_lock(&a->mu);
    *st = a->stats;
    pthread_mutex_unlock(&a->mu);
    pthread_mutex_lock(&a->cp_mu);
    st->checkpoints = a->stats.checkpoints;
    pthread_mutex_unlock(&a->cp_mu);
}

/* ---------------------------------------------------------------- reads and proofs */

static int check_index(uint64_t index, uint64_t size, sw_err *err) {
    if (index >= size)
        return sw_err_set(err, "record %" PRIu64 " does not exist (the log has %" PRIu64 " records)",
                          index, size);
    return 0;
}

/* Reads and checks the frame of record `index` through the index file. */
static int read_frame(sw_audit *a, uint64_t index, sw_buf *out, uint64_t *where, sw_err *err) {
    uint8_t b[8];
    if (audit_pread(a->idx_fd, b, 8, index * 8, "audit index", err) < 0) return -1;
    uint64_t off = get64(b), seg = off / a->seg_bytes, o = off % a->seg_bytes;
    if (where) *where = off;
    if (seg > UINT32_MAX) return sw_err_set(err, "record %" PRIu64 ": index entry out of range", index);
    int fd = seg_fd(a, (uint32_t)seg, 0, err);
    if (fd < 0) return -1;
    uint8_t h[SW_AUDIT_FRAME_HEADER];
    char what[64];
    snprintf(what, sizeof what, "audit segment %" PRIu64, seg);
    if (audit_pread(fd, h, sizeof h, o, what, err) < 0) return -1;
    uint32_t len = (uint32_t)h[4] | (uint32_t)h[5] << 8 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 24;
    if (len == 0 || len > SW_AUDIT_MAX_RECORD)
        return sw_err_set(err, "record %" PRIu64 " (segment %" PRIu64 " offset %" PRIu64 "): bad length %u",
                          index, seg, o, len);
    char *p = malloc(SW_AUDIT_FRAME_HEADER + (size_t)len);
    if (!p) return sw_err_set(err, "audit: out of memory");
    sw_audit_frame fr;
    int rc = audit_pread(fd, p, SW_AUDIT_FRAME_HEADER + (size_t)len, o, what, err);
    if (rc == 0) {
        int r = sw_audit_frame_parse((uint8_t *)p, SW_AUDIT_FRAME_HEADER + (size_t)len, &fr, err);
        if (r <= 0) rc = r == 0 ? sw_err_set(err, "truncated frame") : -1;
        else if (fr.number != index)
            rc = sw_err_set(err, "frame holds record %" PRIu64, fr.number);
        else if (sw_buf_append(out, fr.rec, fr.len) < 0)
            rc = sw_err_set(err, "audit: out of memory");
        if (rc < 0)
            sw_err_prefix(err, "record %" PRIu64 " (segment %" PRIu64 " offset %" PRIu64 ")", index, seg, o);
    }
    free(p);
    return rc;
}

int sw_audit_read(sw_audit *a, uint64_t index, sw_buf *out, sw_err *err) {
    if (check_index(index, sw_audit_size(a), err) < 0) return -1;
    return read_frame(a, index, out, NULL, err);
}

int sw_audit_leaf(sw_audit *a, uint64_t index, uint8_t out[SW_HASH_BYTES], sw_err *err) {
    if (check_index(index, sw_audit_size(a), err) < 0) return -1;
    return audit_node(a, 0, index, out, err);
}

static int check_size(sw_audit *a, uint64_t size, sw_err *err) {
    uint64_t n = sw_audit_size(a);
    if (size > n)
        return sw_err_set(err, "tree size %" PRIu64 " is larger than the log (%" PRIu64 " records)", size, n);
    return 0;
}

int sw_audit_root(sw_audit *a, uint64_t size, uint8_t out[SW_HASH_BYTES], sw_err *err) {
    if (check_size(a, size, err) < 0) return -1;
    return sw_merkle_range_hash(audit_node, a, 0, size, out, err);
}

int sw_audit_prove(sw_audit *a, uint64_t index, uint64_t size, uint8_t proof[][SW_HASH_BYTES],
                   size_t *n, sw_err *err) {
    if (check_size(a, size, err) < 0) return -1;
    return sw_merkle_inclusion_proof(audit_node, a, index, size, proof, n, err);
}

int sw_audit_consistency(sw_audit *a, uint64_t old, uint64_t size, uint8_t proof[][SW_HASH_BYTES],
                         size_t *n, sw_err *err) {
    if (check_size(a, size, err) < 0) return -1;
    return sw_merkle_consistency_proof(audit_node, a, old, size, proof, n, err);
}

/* ---------------------------------------------------------------- sequential scans */

/* A read-only mapping of one segment. */
typedef struct seg_map {
    const uint8_t *p;
    size_t len;
} seg_map;

static int map_seg(sw_audit *a, uint32_t seg, seg_map *m, sw_err *err) {
    m->p = NULL;
    m->len = 0;
    int fd = seg_fd(a, seg, 0, err);
    if (fd < 0) return -1;
    off_t sz = fd_size(fd);
    if (sz < 0) return sw_err_set(err, "audit segment %u: stat failed", seg);
    if (sz == 0) return 0;
    void *p = mmap(NULL, (size_t)sz, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return sw_err_set(err, "audit segment %u: mmap: %s", seg, strerror(errno));
    madvise(p, (size_t)sz, MADV_SEQUENTIAL);
    m->p = p;
    m->len = (size_t)sz;
    return 0;
}

static void unmap_seg(seg_map *m) {
    if (m->p) munmap((void *)m->p, m->len);
    m->p = NULL;
}

static int seg_exists(const sw_audit *a, uint32_t seg) {
    char path[4300];
    seg_name(a, seg, path, sizeof path);
    return access(path, F_OK) == 0;
}

/* Walks frames from logical offset pos and record number `number` on, calling fn for each
 * valid frame, and with fr == NULL before each segment's mapping is released. Stops at the end of the log, after `limit` records, or at the first frame
 * that is not valid; then *stop_pos is where it stopped and *stop_why says why (0 end of
 * the log, 1 limit, 2 invalid frame with err filled). */
typedef int (*frame_fn)(void *ud, uint64_t number, uint64_t pos, const sw_audit_frame *fr,
                        sw_err *err);

static int walk(sw_audit *a, uint64_t pos, uint64_t number, uint64_t limit, frame_fn fn, void *ud,
                uint64_t *stop_pos, uint64_t *stop_number, int *stop_why, sw_err *err) {
    uint32_t seg = (uint32_t)(pos / a->seg_bytes);
    uint64_t off = pos % a->seg_bytes;
    int why = 0;
    while (seg_exists(a, seg)) {
        seg_map m;
        if (map_seg(a, seg, &m, err) < 0) return -1;
        while (off < m.len) {
            if (number >= limit) { why = 1; break; }
            sw_audit_frame fr;
            int r = sw_audit_frame_parse(m.p + off, m.len - off, &fr, err);
            if (r == 0) r = sw_err_set(err, "truncated frame (%zu bytes left)", (size_t)(m.len - off));
            if (r > 0 && fr.number != number)
                r = sw_err_set(err, "frame holds record %" PRIu64 " (a record was deleted, inserted or reordered)",
                               fr.number);
            if (r < 0) {
                sw_err_prefix(err, "record %" PRIu64 " (segment %u offset %" PRIu64 ")", number, seg, off);
                why = 2;
                break;
            }
            if (fn(ud, number, (uint64_t)seg * a->seg_bytes + off, &fr, err) < 0) {
                unmap_seg(&m);
                return -1;
            }
            off += fr.frame_len;
            number++;
        }
        /* the mapping goes away: let fn finish what it kept (an earlier failure wins) */
        sw_err frame_err;
        if (why == 2 && err) frame_err = *err;
        if (fn(ud, number, (uint64_t)seg * a->seg_bytes + off, NULL, err) < 0) {
            unmap_seg(&m);
            return -1;
        }
        if (why == 2 && err) *err = frame_err;
        unmap_seg(&m);
        if (why) break;
        if (!seg_exists(a, seg + 1)) break;
        seg++;
        off = 0;
    }
    *stop_pos = (uint64_t)seg * a->seg_bytes + off;
    *stop_number = number;
    *stop_why = why;
    return 0;
}

typedef struct scan_ctx {
    int (*fn)(void *ud, uint64_t index, const uint8_t *rec, size_t len);
    void *ud;
} scan_ctx;

static int scan_cb(void *ud, uint64_t number, uint64_t pos, const sw_audit_frame *fr, sw_err *err) {
    scan_ctx *c = ud;
    (void)pos;
    if (!fr) return 0;
    if (c->fn(c->ud, number, fr->rec, fr->len) != 0) return sw_err_set(err, "scan stopped");
    return 0;
}

int sw_audit_scan(sw_audit *a, uint64_t from,
                  int (*fn)(void *ud, uint64_t index, const uint8_t *rec, size_t len), void *ud,
                  sw_err *err) {
    uint64_t n = sw_audit_size(a);
    if (from >= n) return 0;
    uint8_t b[8];
    if (audit_pread(a->idx_fd, b, 8, from * 8, "audit index", err) < 0) return -1;
    scan_ctx c = {fn, ud};
    uint64_t sp, sn;
    int why;
    if (walk(a, get64(b), from, n, scan_cb, &c, &sp, &sn, &why, err) < 0) return -1;
    if (sn < n) {
        if (why != 2) sw_err_set(err, "record %" PRIu64 ": missing from the segments", sn);
        return -1;
    }
    return 0;
}

typedef struct vwalk {
    int (*fn)(void *ud, uint64_t number, uint64_t pos, const uint8_t *rec, size_t len, sw_err *err);
    void *ud;
} vwalk;

static int vwalk_cb(void *ud, uint64_t number, uint64_t pos, const sw_audit_frame *fr, sw_err *err) {
    vwalk *w = ud;
    if (!fr) return w->fn(w->ud, number, pos, NULL, 0, err);
    return w->fn(w->ud, number, pos, fr->rec, fr->len, err);
}

int audit_walk_frames(sw_audit *a, uint64_t limit,
                      int (*fn)(void *ud, uint64_t number, uint64_t pos, const uint8_t *rec,
                                size_t len, sw_err *err),
                      void *ud, uint64_t *stopped, sw_err *err) {
    vwalk w = {fn, ud};
    uint64_t sp, sn;
    int why;
    *stopped = 0;
    if (walk(a, 0, 0, limit, vwalk_cb, &w, &sp, &sn, &why, err) < 0) return -1;
    *stopped = sn;
    if (why == 2) return -1;
    if (sn < limit)
        return sw_err_set(err, "record %" PRIu64 ": missing (the segments end after %" PRIu64
                          " records; the index has %" PRIu64 ")", sn, sn, limit);
    return 0;
}

/* Next offset at or after off where a valid frame starts in m, or m->len when none. */
static uint64_t next_valid_frame(const seg_map *m, uint64_t off) {
    static const uint8_t magic[4] = {SW_AUDIT_FRAME_MAGIC & 0xff, SW_AUDIT_FRAME_MAGIC >> 8 & 0xff,
                                     SW_AUDIT_FRAME_MAGIC >> 16 & 0xff, SW_AUDIT_FRAME_MAGIC >> 24};
    sw_err e;
    while (off + SW_AUDIT_FRAME_HEADER <= m->len) {
        const uint8_t *q = memmem(m->p + off, m->len - off, magic, sizeof magic);
        if (!q) break;
        off = (uint64_t)(q - m->p);
        sw_audit_frame fr;
        if (sw_audit_frame_parse(q, m->len - off, &fr, &e) > 0) return off;
        off++;
    }
    return m->len;
}

int sw_audit_salvage(sw_audit *a, int (*fn)(void *ud, uint64_t index, const uint8_t *rec, size_t len),
                     void *ud, sw_audit_salvage_report *rep, sw_err *err) {
    memset(rep, 0, sizeof *rep);
    uint64_t expect = 0;
    for (uint32_t seg = 0; seg_exists(a, seg); seg++) {
        seg_map m;
        if (map_seg(a, seg, &m, err) < 0) return -1;
        uint64_t off = 0;
        int skipped = 0; /* a gap in the numbering right after skipped bytes is the same damage */
        while (off < m.len) {
            sw_audit_frame fr;
            sw_err e;
            if (sw_audit_frame_parse(m.p + off, m.len - off, &fr, &e) <= 0) { /* skip the damage */
                uint64_t next = next_valid_frame(&m, off + 1);
                if (!rep->damaged++) rep->first_damaged = expect;
                rep->damaged_bytes += next - off;
                off = next;
                skipped = 1;
                continue;
            }
            if (fr.number != expect && !skipped && !rep->damaged++) rep->first_damaged = expect;
            skipped = 0;
            expect = fr.number + 1;
            rep->records++;
            if (fn(ud, fr.number, fr.rec, fr.len) != 0) {
                unmap_seg(&m);
                return sw_err_set(err, "salvage stopped");
            }
            off += fr.frame_len;
        }
        unmap_seg(&m);
    }
    return 0;
}

/* ---------------------------------------------------------------- open and recovery */

static int read_format(sw_audit *a, sw_err *err) {
    char path[4300];
    snprintf(path, sizeof path, "%s/format", a->dir);
    sw_buf b = {0};
    sw_err e;
    if (sw_read_file(path, &b, &e) < 0) {
        sw_buf_free(&b);
        a->seg_bytes = a->opts.segment_bytes ? a->opts.segment_bytes : DEFAULT_SEGMENT_BYTES;
        if (a->read_only) return 0;
        if (seg_exists(a, 0))
            return sw_err_set(err, "%s: missing, but segments exist; refusing to guess the format", path);
        char line[128];
        int n = snprintf(line, sizeof line, FORMAT_LINE "%" PRIu64 "\n", a->seg_bytes);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) return sw_err_set(err, "%s: cannot create: %s", path, strerror(errno));
        int ok = write(fd, line, (size_t)n) == n && fsync(fd) == 0;
        close(fd);
        if (!ok) return sw_err_set(err, "%s: cannot write", path);
        return fsync_dir(a->dir, err);
    }
    unsigned long long sb = 0;
    int ok = strncmp(b.data, FORMAT_LINE, strlen(FORMAT_LINE)) == 0 &&
             sscanf(b.data + strlen(FORMAT_LINE), "%llu", &sb) == 1 && sb >= 4096;
    sw_buf_free(&b);
    if (!ok) return sw_err_set(err, "%s: unknown format (want '" FORMAT_LINE "N')", path);
    a->seg_bytes = sb;
    return 0;
}

/* Takes the writer lock: an exclusive flock on the audit directory (it cannot be deleted
 * from under the holder, unlike a lock file), then records the pid in `lock` for the
 * message a second writer gets; a clean close empties `lock`, so a pid found there marks
 * an unclean close (a->dirty). -1 naming the holder when another process has it. */
static int take_lock(sw_audit *a, sw_err *err) {
    char path[4300];
    snprintf(path, sizeof path, "%s/lock", a->dir);
    a->lock_fd = open(a->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (a->lock_fd < 0) return sw_err_set(err, "%s: cannot open: %s", a->dir, strerror(errno));
    if (flock(a->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = "?";
        int pfd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t r = pfd >= 0 ? pread(pfd, pid, sizeof pid - 1, 0) : -1;
        if (pfd >= 0) close(pfd);
        pid[r > 0 ? r : 1] = 0;
        pid[strcspn(pid, "\n")] = 0;
        return sw_err_set(err, "%s: the audit log is open for writing by another process (pid %s)",
                          a->dir, pid);
    }
    char pid[32];
    int pfd = open(path, O_RDONLY | O_CLOEXEC); /* a pid left there: its writer died */
    a->dirty = pfd >= 0 && pread(pfd, pid, 1, 0) == 1;
    if (pfd >= 0) close(pfd);
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    pfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int ok = pfd >= 0 && write(pfd, pid, (size_t)n) == n;
    if (pfd >= 0) close(pfd);
    if (!ok) return sw_err_set(err, "%s: cannot write: %s", path, strerror(errno));
    return 0;
}

/* Checks that the derived files agree with the log for the first n records: the last
 * record's frame and leaf hash, and each level's length. */
static int derived_ok(sw_audit *a, uint64_t n, uint64_t *next_pos) {
    *next_pos = 0;
    if (n == 0) return 1;
    sw_buf rec = {0};
    uint64_t off;
    sw_err e;
    int ok = read_frame(a, n - 1, &rec, &off, &e) == 0;
    if (ok) {
        uint8_t leaf[SW_HASH_BYTES], stored[SW_HASH_BYTES];
        sw_merkle_leaf_hash(rec.data, rec.len, leaf);
        ok = audit_node(a, 0, n - 1, stored, &e) == 0 && memcmp(leaf, stored, SW_HASH_BYTES) == 0;
        *next_pos = off + SW_AUDIT_FRAME_HEADER + rec.len;
    }
    sw_buf_free(&rec);
    for (unsigned l = 1; ok && l < AUDIT_LEVELS && (n >> l); l++) {
        sw_err e2;
        int fd = lvl_fd(a, l, &e2);
        ok = fd >= 0 && (uint64_t)fd_size(fd) >= (n >> l) * SW_HASH_BYTES;
    }
    return ok;
}

/* Cuts the derived files to n records. */
static int truncate_derived(sw_audit *a, uint64_t n, sw_err *err) {
    pthread_mutex_lock(&a->fd_mu); /* no mapping may outlive the bytes it maps */
    for (unsigned l = 0; l < AUDIT_LEVELS; l++) {
        if (a->lvl_map[l]) munmap((void *)a->lvl_map[l], a->lvl_maplen[l]);
        a->lvl_map[l] = NULL;
        a->lvl_maplen[l] = 0;
    }
    pthread_mutex_unlock(&a->fd_mu);
    if (ftruncate(a->idx_fd, (off_t)(n * 8)) != 0)
        return sw_err_set(err, "audit index: truncate: %s", strerror(errno));
    for (unsigned l = 0; l < AUDIT_LEVELS; l++) {
        char path[4300];
        snprintf(path, sizeof path, "%s/tree/level-%02u", a->dir, l);
        if ((n >> l) == 0 && l > 0 && access(path, F_OK) != 0) continue;
        int fd = lvl_fd(a, l, err);
        if (fd < 0) return -1;
        if (ftruncate(fd, (off_t)((n >> l) * SW_HASH_BYTES)) != 0)
            return sw_err_set(err, "audit tree level %u: truncate: %s", l, strerror(errno));
    }
    return 0;
}

/* Flushes the rebuilt derived data in pend_* (records [durable, assigned)). */
static int flush_rebuilt(sw_audit *a, sw_err *err) {
    int rc = write_derived(a, a->durable, &a->pend_idx, a->pend_lvl, a->pend_lvl_first, err);
    sw_buf_reset(&a->pend_idx);
    for (unsigned l = 0; l < AUDIT_LEVELS; l++) sw_buf_reset(&a->pend_lvl[l]);
    a->durable = a->assigned;
    return rc;
}

/* What the rebuild walk checks on its way: the root at the size of the signed checkpoint. */
static int rebuild_cb(void *ud, uint64_t number, uint64_t pos, const sw_audit_frame *fr, sw_err *err) {
    sw_audit *a = ud;
    (void)number;
    if (!fr) return 0;
    uint8_t leaf[SW_HASH_BYTES], off[8];
    sw_merkle_leaf_hash(fr->rec, fr->len, leaf);
    put64(off, pos);
    if (sw_buf_append(&a->pend_idx, off, 8) < 0) return sw_err_set(err, "audit: out of memory");
    sw_merkle_frontier_push(&a->front, leaf, pend_emit, a);
    a->assigned++;
    a->rec.rebuilt++;
    if (a->failed) return sw_err_set(err, "%s", a->failmsg);
    if (a->assigned == a->cp_size) {
        uint8_t root[SW_HASH_BYTES];
        sw_merkle_frontier_root(&a->front, root);
        if (memcmp(root, a->cp_root, SW_HASH_BYTES) != 0)
            return sw_err_set(err, "records 0..%" PRIu64 " do not reproduce the root of their signed "
                              "checkpoint: a record was altered (`steward audit verify` names it); "
                              "refusing to sign anything over them", a->cp_size - 1);
    }
    if (a->pend_idx.len >= (1u << 20)) return flush_rebuilt(a, err);
    return 0;
}

static int noop_cb(void *ud, uint64_t number, uint64_t pos, const sw_audit_frame *fr, sw_err *err) {
    (void)ud, (void)number, (void)pos, (void)fr, (void)err;
    return 0;
}

/* 1 when a valid frame numbered above `number` starts anywhere after offset off of the
 * segment: the bad frame at off is then damage in the middle, not a torn tail. */
static int valid_frame_after(sw_audit *a, uint32_t seg, uint64_t off, uint64_t number, uint64_t *found) {
    seg_map m;
    sw_err e;
    if (map_seg(a, seg, &m, &e) < 0 || !m.p) return 0;
    int hit = 0;
    for (uint64_t o = next_valid_frame(&m, off + 1); !hit && o < m.len; o = next_valid_frame(&m, o + 1)) {
        sw_audit_frame fr;
        if (sw_audit_frame_parse(m.p + o, m.len - o, &fr, &e) > 0 && fr.number > number) {
            hit = 1;
            *found = fr.number;
        }
    }
    unmap_seg(&m);
    return hit;
}

/* Why the bad frame of record sn at logical offset sp cannot be a torn tail (invariant 3),
 * written into why; 0 when it can be cut. -1 when the checkpoint history cannot be read. */
static int damage_reason(sw_audit *a, uint64_t sp, uint64_t sn, char *why, size_t wsz, sw_err *err) {
    uint32_t seg = (uint32_t)(sp / a->seg_bytes);
    uint64_t off = sp % a->seg_bytes, floor, found = 0;
    uint8_t root[SW_HASH_BYTES];
    why[0] = 0;
    if (audit_checkpoint_history_max(a, &floor, root, err) < 0) return -1;
    if (a->cp_size > floor) floor = a->cp_size;
    sw_err e;
    int fd = seg_fd(a, seg, 0, &e);
    off_t sz = fd >= 0 ? fd_size(fd) : 0;
    uint64_t tail = sz > 0 && (uint64_t)sz > off ? (uint64_t)sz - off : 0;
    /* everything unacknowledged fits in one batch in flight plus the pending bytes */
    uint64_t max_tail = a->opts.max_pending_bytes + SW_AUDIT_MAX_RECORD + SW_AUDIT_FRAME_HEADER;
    if (seg_exists(a, seg + 1)) snprintf(why, wsz, "later segments follow");
    else if (sn < floor) snprintf(why, wsz, "a signed checkpoint covers %" PRIu64 " records", floor);
    else if (valid_frame_after(a, seg, off, sn, &found))
        snprintf(why, wsz, "intact records follow it (record %" PRIu64 " and on)", found);
    else if (tail > max_tail)
        snprintf(why, wsz, "%" PRIu64 " bytes follow, more than an unacknowledged batch can hold", tail);
    return 0;
}

/* The refusal for damage that is not a torn tail: what was found, and the way forward. */
static int damage_err(sw_audit *a, uint64_t sp, uint64_t sn, const char *what, const char *why, sw_err *err) {
    return sw_err_set(err, "%s; %s, so this is damage, not a torn tail: nothing was changed. "
                      "Records 0..%" PRIu64 " before it are intact: `steward audit export --salvage` "
                      "writes every intact record and `steward audit verify` names the damage; restore "
                      "segment-%06u.log from a backup (or move the audit directory aside) to write again",
                      what, why, sn ? sn - 1 : 0, (uint32_t)(sp / a->seg_bytes));
}

/* Writer recovery from the trusted prefix of n records (its last frame ends at pos):
 * first a read-only walk decides what may be cut (invariant 3) and fails touching
 * nothing when the log is damaged; then the torn tail is cut, the derived files are cut
 * to n, and the records past n are re-indexed and re-hashed from the segments. */
static int recover(sw_audit *a, uint64_t n, uint64_t pos, sw_err *err) {
    uint64_t sp, sn;
    int why;
    sw_err werr = {{0}};
    if (walk(a, pos, n, UINT64_MAX, noop_cb, NULL, &sp, &sn, &why, &werr) < 0)
        return sw_err_set(err, "%s", werr.msg);
    uint32_t seg = (uint32_t)(sp / a->seg_bytes);
    uint64_t off = sp % a->seg_bytes;
    if (why == 2) {
        char reason[256];
        if (damage_reason(a, sp, sn, reason, sizeof reason, err) < 0) return -1;
        if (reason[0]) return damage_err(a, sp, sn, werr.msg, reason, err);
    }
    if (sn < a->cp_size)
        return sw_err_set(err, "the segments hold %" PRIu64 " records but a signed checkpoint covers %" PRIu64
                          ": records were lost; nothing was changed (`steward audit export --salvage` "
                          "writes what is intact)", sn, a->cp_size);
    if (why == 2) {
        int fd = seg_fd(a, seg, 0, err);
        if (fd < 0) return -1;
        off_t sz = fd_size(fd);
        if (ftruncate(fd, (off_t)off) != 0 || fsync(fd) != 0)
            return sw_err_set(err, "audit segment %u: truncate: %s", seg, strerror(errno));
        a->rec.truncated_bytes = sz > 0 ? (uint64_t)sz - off : 0;
        a->rec.truncated_from = sn;
        sw_log(SW_LOG_WARN, "audit: recovery truncated a torn tail of %" PRIu64
               " bytes at segment %u offset %" PRIu64 " (from record %" PRIu64
               ", never acknowledged): %s", a->rec.truncated_bytes, seg, off, sn, werr.msg);
    }
    if (truncate_derived(a, n, err) < 0) return -1;
    uint64_t sp2, sn2;
    if (walk(a, pos, n, sn, rebuild_cb, a, &sp2, &sn2, &why, &werr) < 0) return sw_err_set(err, "%s", werr.msg);
    if (flush_rebuilt(a, err) < 0) return -1;
    if (sn2 != sn) return sw_err_set(err, "audit: the segments changed during recovery (%" PRIu64 " then %"
                                     PRIu64 " records)", sn, sn2);
    if (a->rec.rebuilt)
        sw_log(SW_LOG_INFO, "audit: recovery re-indexed %" PRIu64 " records", a->rec.rebuilt);
    a->w_seg = seg;
    a->w_off = off;
    return 0;
}

/* The size from which a writer trusts the derived files (invariant 4): the signed
 * checkpoint's, when the index reaches it, its last entry matches the record, and the
 * stored compact range reproduces its root; else 0. Loads the frontier at that size. */
static uint64_t trusted_prefix(sw_audit *a, uint64_t n, uint64_t *pos) {
    uint64_t t = a->cp_size;
    *pos = 0;
    memset(&a->front, 0, sizeof a->front);
    if (t == 0 || n < t || !derived_ok(a, t, pos)) {
        if (n > 0) sw_log(SW_LOG_INFO, "audit: re-deriving the index and tree files from the segments");
        *pos = 0;
        return 0;
    }
    sw_err e;
    for (unsigned l = 0; l < AUDIT_LEVELS; l++) /* compact range */
        if (t >> l & 1 && audit_node(a, l, (t >> l) - 1, a->front.h[l], &e) < 0) t = 0;
    uint8_t root[SW_HASH_BYTES];
    a->front.size = t;
    if (t) sw_merkle_frontier_root(&a->front, root);
    if (t == 0 || memcmp(root, a->cp_root, SW_HASH_BYTES) != 0) {
        sw_log(SW_LOG_WARN, "audit: the stored subtree hashes do not reproduce the signed checkpoint of %"
               PRIu64 " records; rebuilding the tree files from the segments", a->cp_size);
        memset(&a->front, 0, sizeof a->front);
        *pos = 0;
        return 0;
    }
    return t;
}

/* Invariant 5: every segment fits segment_bytes, and each one but the last ends where the
 * next segment's first frame would not have fitted. */
static int check_format_fits(sw_audit *a, sw_err *err) {
    for (uint32_t s = 0; seg_exists(a, s); s++) {
        char path[4300];
        struct stat st;
        seg_name(a, s, path, sizeof path);
        if (stat(path, &st) != 0) return sw_err_set(err, "%s: stat: %s", path, strerror(errno));
        if ((uint64_t)st.st_size > a->seg_bytes)
            return sw_err_set(err, "%s holds %lld bytes but %s/format says segment_bytes=%" PRIu64
                              ": the format file disagrees with the segments (was it edited?); "
                              "refusing to open", path, (long long)st.st_size, a->dir, a->seg_bytes);
        if (!seg_exists(a, s + 1)) break;
        uint8_t h[SW_AUDIT_FRAME_HEADER];
        char next[4300];
        seg_name(a, s + 1, next, sizeof next);
        int fd = open(next, O_RDONLY | O_CLOEXEC);
        ssize_t r = fd >= 0 ? pread(fd, h, sizeof h, 0) : -1;
        if (fd >= 0) close(fd);
        if (r != (ssize_t)sizeof h) continue; /* a torn first frame: recovery judges it */
        uint64_t first = SW_AUDIT_FRAME_HEADER + ((uint64_t)h[4] | (uint64_t)h[5] << 8 |
                                                  (uint64_t)h[6] << 16 | (uint64_t)h[7] << 24);
        if ((uint64_t)st.st_size + first <= a->seg_bytes)
            return sw_err_set(err, "%s ends at %lld bytes, but %s/format says segment_bytes=%" PRIu64
                              ", so the next segment's first frame would have fitted: the format file "
                              "disagrees with the segments (was it edited?); refusing to open",
                              path, (long long)st.st_size, a->dir, a->seg_bytes);
    }
    return 0;
}

static int open_files(sw_audit *a, sw_err *err) {
    char path[4300];
    snprintf(path, sizeof path, "%s/tree", a->dir);
    if (!a->read_only && sw_mkdirs(path, 0700, err) < 0) return -1;
    snprintf(path, sizeof path, "%s/index", a->dir);
    a->idx_fd = open(path, (a->read_only ? O_RDONLY : O_RDWR | O_CREAT) | O_CLOEXEC, 0600);
    if (a->idx_fd < 0) return sw_err_set(err, "%s: cannot open: %s", path, strerror(errno));
    return 0;
}

int sw_audit_open(const char *home, const sw_audit_opts *opts, sw_audit **out, sw_err *err) {
    *out = NULL;
    if (sw_crypto_init(err) < 0) return -1;
    sw_audit *a = calloc(1, sizeof *a);
    if (!a) return sw_err_set(err, "audit: out of memory");
    if (opts) a->opts = *opts;
    if (!a->opts.max_pending_bytes) a->opts.max_pending_bytes = DEFAULT_MAX_PENDING;
    snprintf(a->origin, sizeof a->origin, "%s", a->opts.origin ? a->opts.origin : "steward-audit");
    a->opts.origin = a->origin;
    a->read_only = a->opts.read_only;
    a->lock_fd = a->idx_fd = a->vault_keys_fd = a->vault_data_fd = -1;
    for (unsigned l = 0; l < AUDIT_LEVELS; l++) a->lvl_fd[l] = -1;
    pthread_mutex_init(&a->mu, NULL);
    pthread_mutex_init(&a->fd_mu, NULL);
    pthread_mutex_init(&a->vault_mu, NULL);
    pthread_mutex_init(&a->cp_mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    snprintf(a->home, sizeof a->home, "%s", home);
    snprintf(a->dir, sizeof a->dir, "%s/audit", home);
    uint64_t n = 0, pos = 0;
    int rc = 0;
    if (a->read_only && access(a->dir, F_OK) != 0) {
        rc = sw_err_set(err, "no audit log here yet (nothing was recorded)");
    } else if ((!a->read_only && sw_mkdirs(a->dir, 0700, err) < 0) ||
               (!a->read_only && take_lock(a, err) < 0) || read_format(a, err) < 0 ||
               check_format_fits(a, err) < 0 || open_files(a, err) < 0 ||
               (a->dirty && audit_history_repair(a, err) < 0) || audit_checkpoint_init(a, err) < 0) {
        rc = -1;
    } else if (!a->read_only) {
        off_t isz = fd_size(a->idx_fd);
        n = isz > 0 ? (uint64_t)isz / 8 : 0;
        n = trusted_prefix(a, n, &pos);
        a->durable = a->assigned = n;
        rc = recover(a, n, pos, err);
        sw_merkle_frontier_root(&a->front, a->durable_root);
    } else {
        off_t isz = fd_size(a->idx_fd);
        n = isz > 0 ? (uint64_t)isz / 8 : 0;
        if (!derived_ok(a, n, &pos)) /* keep n: verify will name what is wrong */
            sw_log(SW_LOG_WARN, "audit: derived files disagree with the log at record %" PRIu64, n);
        a->durable = a->assigned = n;
        for (uint32_t s = (uint32_t)(pos / a->seg_bytes); seg_exists(a, s); s++) { /* report, touch nothing */
            sw_err e;
            int fd = seg_fd(a, s, 0, &e);
            off_t sz = fd >= 0 ? fd_size(fd) : 0;
            uint64_t start = s == pos / a->seg_bytes ? pos % a->seg_bytes : 0;
            if (sz > 0 && (uint64_t)sz > start) a->rec.tail_bytes += (uint64_t)sz - start;
        }
    }
    if (rc < 0) {
        sw_err_prefix(err, "%s", a->dir);
        a->opts.no_checkpoint_on_close = 1;
        a->read_only = 1;
        sw_audit_close(a, NULL);
        return -1;
    }
    a->cp_ns = sw_now_ns();
    *out = a;
    return 0;
}

int sw_audit_close(sw_audit *a, sw_err *err) {
    if (!a) return 0;
    int rc = 0;
    if (!a->read_only) {
        pthread_mutex_lock(&a->mu);
        while (a->flushing) pthread_cond_wait(&a->cv, &a->mu);
        if (!a->failed && flush_locked(a, err) < 0) rc = -1;
        int failed = a->failed;
        pthread_mutex_unlock(&a->mu);
        if (!failed && !a->opts.no_checkpoint_on_close && a->durable > 0 && a->durable != a->cp_size &&
            sw_audit_checkpoint(a, NULL, NULL, err) < 0)
            rc = -1;
        /* derived files are rebuilt after a crash; sync them on a clean close anyway so
         * the next open finds them complete */
        if (!failed) {
            fdatasync(a->idx_fd);
            for (unsigned l = 0; l < AUDIT_LEVELS; l++)
                if (a->lvl_fd[l] >= 0) fdatasync(a->lvl_fd[l]);
        }
        char path[4300]; /* a clean close: the next writer need not look for torn files */
        snprintf(path, sizeof path, "%s/lock", a->dir);
        if (!failed && a->lock_fd >= 0 && truncate(path, 0) != 0 && errno != ENOENT && rc == 0)
            rc = sw_err_set(err, "%s: truncate: %s", path, strerror(errno));
    }
    audit_vault_close(a);
    for (uint32_t i = 0; i < a->nseg; i++)
        if (a->seg_fds[i] >= 0) close(a->seg_fds[i]);
    free(a->seg_fds);
    for (unsigned l = 0; l < AUDIT_LEVELS; l++) {
        if (a->lvl_fd[l] >= 0) close(a->lvl_fd[l]);
        if (a->lvl_map[l]) munmap((void *)a->lvl_map[l], a->lvl_maplen[l]);
        sw_buf_free(&a->pend_lvl[l]);
    }
    for (size_t i = 0; i < a->nchunks; i++) sw_buf_free(&a->chunks[i].data);
    free(a->chunks);
    sw_buf_free(&a->pend_idx);
    if (a->idx_fd >= 0) close(a->idx_fd);
    if (a->lock_fd >= 0) close(a->lock_fd);
    sw_keys_wipe(&a->key);
    pthread_mutex_destroy(&a->mu);
    pthread_mutex_destroy(&a->fd_mu);
    pthread_mutex_destroy(&a->vault_mu);
    pthread_mutex_destroy(&a->cp_mu);
    pthread_cond_destroy(&a->cv);
    free(a);
    return rc;
}
