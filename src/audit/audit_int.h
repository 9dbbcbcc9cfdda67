/* audit_int.h - the audit log's state, shared by store.c, checkpoint.c and retention.c. */
#ifndef STEWARD_AUDIT_INT_H
#define STEWARD_AUDIT_INT_H

#include "steward/audit.h"
#include "steward/keys.h"

#include <pthread.h>

#define AUDIT_LEVELS 64
#define AUDIT_KEY_NAME "audit"

/* Frames waiting for the next group commit, bound for one segment at one offset. */
typedef struct audit_chunk {
    uint32_t seg;
    uint64_t off;
    sw_buf data;
} audit_chunk;

struct sw_audit {
    char home[4096];
    char dir[4200];
    char origin[SW_AUDIT_ORIGIN_MAX];
    sw_audit_opts opts;
    int read_only;
    int lock_fd;
    int dirty;                  /* the previous writer did not close cleanly (lock held a pid) */
    uint64_t seg_bytes;

    pthread_mutex_t fd_mu;      /* guards the file tables below */
    int *seg_fds;
    uint32_t nseg;
    int idx_fd;
    int lvl_fd[AUDIT_LEVELS];
    const uint8_t *lvl_map[AUDIT_LEVELS]; /* read-only mappings of the tree files: proofs */
    size_t lvl_maplen[AUDIT_LEVELS];      /* read them without a system call per node */

    pthread_mutex_t mu;         /* guards everything below */
    pthread_cond_t cv;
    uint64_t durable;           /* records durable and present in the derived files */
    uint8_t durable_root[SW_HASH_BYTES]; /* root of the first `durable` records (frontier) */
    uint64_t assigned;          /* records numbered so far */
    uint32_t w_seg;             /* where the next frame goes */
    uint64_t w_off;
    sw_merkle_frontier front;   /* over the assigned records */
    audit_chunk *chunks;        /* pending frames */
    size_t nchunks, chunks_cap;
    uint64_t pend_bytes;
    sw_buf pend_idx;            /* u64 logical offsets of the pending records */
    sw_buf pend_lvl[AUDIT_LEVELS]; /* completed subtree hashes per level */
    uint64_t pend_lvl_first[AUDIT_LEVELS];
    int flushing;
    sw_audit_stats stats;       /* batches and records under mu; checkpoints under cp_mu */
    int failed;
    char failmsg[SW_ERR_MAX];

    /* checkpoints */
    pthread_mutex_t cp_mu;      /* serialises checkpoint writing and the fields below */
    sw_keypair key;
    int have_key;
    uint8_t pubs[SW_KEYS_MAX_OLD][32];
    size_t npubs;
    uint64_t cp_size;           /* size of the latest checkpoint */
    uint8_t cp_root[SW_HASH_BYTES]; /* its root (as found at open) */
    uint64_t cp_ns;             /* when it was written (monotonic) */

    /* retention */
    pthread_mutex_t vault_mu;
    int vault_keys_fd, vault_data_fd;

    sw_audit_recovery rec;
};

/* store.c: the subtree hash at (level, index) from the tree files (ud is the log). */
int audit_node(void *ud, unsigned level, uint64_t index, uint8_t out[SW_HASH_BYTES], sw_err *err);
/* store.c: pwrite/pread of exactly n bytes. */
int audit_pwrite(int fd, const void *p, size_t n, uint64_t off, const char *what, sw_err *err);
int audit_pread(int fd, void *p, size_t n, uint64_t off, const char *what, sw_err *err);
/* store.c: calls fn for each frame of records [0, limit) in log order, and with rec ==
 * NULL when the frames passed so far are about to become invalid (end of a segment). -1 with err naming
 * the record (and *stopped its number) at the first bad or missing frame, or when fn fails. */
int audit_walk_frames(sw_audit *a, uint64_t limit,
                      int (*fn)(void *ud, uint64_t number, uint64_t pos, const uint8_t *rec,
                                size_t len, sw_err *err),
                      void *ud, uint64_t *stopped, sw_err *err);
/* checkpoint.c: loads keys at open; checks the latest checkpoint (its size is the floor
 * below which recovery may not cut). */
int audit_checkpoint_init(sw_audit *a, sw_err *err);
/* checkpoint.c: 1 when a checkpoint is due at this durable size (interval passed). */
int audit_checkpoint_due(sw_audit *a, uint64_t durable);
/* checkpoint.c: signs and stores a checkpoint of the first size records whose root (taken
 * from the in-memory frontier, not the tree files) is given. */
int audit_checkpoint_at(sw_audit *a, uint64_t size, const uint8_t root[SW_HASH_BYTES], sw_checkpoint *cp,
                        sw_buf *note, sw_err *err);
/* checkpoint.c: the largest verified checkpoint in checkpoints.log (size 0 and a zero
 * root when there is none); -1 when the history cannot be read or a note fails. */
int audit_checkpoint_history_max(sw_audit *a, uint64_t *size, uint8_t root[SW_HASH_BYTES], sw_err *err);
/* checkpoint.c: cuts an incomplete last entry of checkpoints.log (left by a writer that
 * died while appending it); run by a writer open after an unclean close. */
int audit_history_repair(sw_audit *a, sw_err *err);
/* store.c: the durable size and its root, read together. */
void audit_durable_root(sw_audit *a, uint64_t *size, uint8_t root[SW_HASH_BYTES]);
/* checkpoint.c: all stored checkpoints, verified, in file order; caller frees *cps. */
int audit_checkpoints_all(sw_audit *a, sw_checkpoint **cps, size_t *n, sw_err *err);
/* sha256_ni.c: SHA-256(a || b) with the x86 SHA extensions, when available. */
int audit_sha256_ni_available(void);
void audit_sha256_ni(const void *a, size_t alen, const void *b, size_t blen, uint8_t out[32]);
/* retention.c */
void audit_vault_close(sw_audit *a);

#endif
