/* audit.h - the append-only Merkle audit log: RFC 6962/9162 hashing and proofs, durable
 * segment storage with group commit, signed checkpoints, and crypto-shredded retention.
 *
 * Layout under $STEWARD_HOME/audit (docs/audit.md has the details):
 *   format                 format version and segment size (written once)
 *   segment-NNNNNN.log     frames: magic, length, record number, CRC-32C, record bytes
 *   index                  u64 logical offset of each record (derived, rebuilt on recovery)
 *   tree/level-LL          hashes of the complete subtrees of each level (derived)
 *   checkpoint             the latest signed checkpoint (a signed note)
 *   checkpoints.log        every checkpoint written, length-prefixed
 *   vault/                 retained content (secretbox) and its per-record keys
 *
 * A record is any byte string (the pipeline writes one JSON object); its leaf hash is
 * SHA-256(0x00 || record bytes). Record numbers start at 0. */
#ifndef STEWARD_AUDIT_H
#define STEWARD_AUDIT_H

#include "steward/core.h"

#define SW_HASH_BYTES 32
#define SW_MERKLE_MAX_PROOF 128 /* proofs are at most 2*64 hashes long */
#define SW_AUDIT_MAX_RECORD (16u << 20)

/* ======================= Merkle tree (merkle.c): pure functions ======================= */

void sw_merkle_leaf_hash(const void *entry, size_t len, uint8_t out[SW_HASH_BYTES]);
void sw_merkle_node_hash(const uint8_t left[SW_HASH_BYTES], const uint8_t right[SW_HASH_BYTES],
                         uint8_t out[SW_HASH_BYTES]);
/* Hash of the empty tree: SHA-256 of the empty string. */
void sw_merkle_empty_root(uint8_t out[SW_HASH_BYTES]);

/* Where proofs get their hashes: the hash of the complete subtree of 2^level leaves
 * that starts at leaf index << level. Returns 0, or -1 with err filled. */
typedef int (*sw_merkle_node_fn)(void *ud, unsigned level, uint64_t index,
                                 uint8_t out[SW_HASH_BYTES], sw_err *err);

/* MTH(D[begin:end]) where the range is a subtree of the RFC 6962 decomposition (begin a
 * multiple of a power of two >= end - begin). end == begin gives the empty root. */
int sw_merkle_range_hash(sw_merkle_node_fn fn, void *ud, uint64_t begin, uint64_t end,
                         uint8_t out[SW_HASH_BYTES], sw_err *err);
/* Inclusion proof PATH(index, D[0:size]) (RFC 6962 2.1.1), leaf side first, into
 * proof[SW_MERKLE_MAX_PROOF]; *n receives its length. -1 when index >= size. */
int sw_merkle_inclusion_proof(sw_merkle_node_fn fn, void *ud, uint64_t index, uint64_t size,
                              uint8_t proof[][SW_HASH_BYTES], size_t *n, sw_err *err);
/* Consistency proof PROOF(old, D[0:size]) (RFC 6962 2.1.2). -1 when old > size. */
int sw_merkle_consistency_proof(sw_merkle_node_fn fn, void *ud, uint64_t old, uint64_t size,
                                uint8_t proof[][SW_HASH_BYTES], size_t *n, sw_err *err);
/* RFC 9162 2.1.3.2: 0 when the proof shows leaf at index in the tree of size with root. */
int sw_merkle_verify_inclusion(const uint8_t leaf[SW_HASH_BYTES], uint64_t index, uint64_t size,
                               const uint8_t proof[][SW_HASH_BYTES], size_t n,
                               const uint8_t root[SW_HASH_BYTES], sw_err *err);
/* RFC 9162 2.1.4.2: 0 when the proof shows the tree of old_size is a prefix of size. */
int sw_merkle_verify_consistency(uint64_t old_size, uint64_t size,
                                 const uint8_t old_root[SW_HASH_BYTES],
                                 const uint8_t root[SW_HASH_BYTES],
                                 const uint8_t proof[][SW_HASH_BYTES], size_t n, sw_err *err);

/* Incremental root of an append-only sequence (a compact range from 0): O(log n) state. */
typedef struct sw_merkle_frontier {
    uint64_t size;
    uint8_t h[64][SW_HASH_BYTES]; /* h[l] valid when bit l of size is set */
} sw_merkle_frontier;
/* Adds a leaf hash. When emit is not NULL it is called with every complete subtree that
 * this leaf completes (level 0 first: the leaf itself). */
void sw_merkle_frontier_push(sw_merkle_frontier *f, const uint8_t leaf[SW_HASH_BYTES],
                             void (*emit)(void *ud, unsigned level, uint64_t index,
                                          const uint8_t h[SW_HASH_BYTES]),
                             void *ud);
void sw_merkle_frontier_root(const sw_merkle_frontier *f, uint8_t out[SW_HASH_BYTES]);

/* ======================= frames (frame.c): the on-disk record format ================== */

#define SW_AUDIT_FRAME_MAGIC 0x31415753u /* "SWA1" little-endian */
#define SW_AUDIT_FRAME_HEADER 20         /* magic u32, length u32, number u64, crc32c u32 */

uint32_t sw_crc32c(uint32_t crc, const void *p, size_t n);
/* Appends the frame of record `number` to out. -1 when out of memory or too long. */
int sw_audit_frame_encode(sw_buf *out, uint64_t number, const void *rec, size_t len, sw_err *err);
typedef struct sw_audit_frame {
    uint64_t number;
    const uint8_t *rec; /* points into the parsed buffer */
    uint32_t len;
    size_t frame_len;   /* header + record */
} sw_audit_frame;
/* Parses the frame at p[0..avail). Returns 1 with *fr filled, 0 when avail is shorter than
 * the frame says (a truncated tail), or -1 when the bytes are not a valid frame (bad magic,
 * length, checksum); err names the field. Never reads past avail. */
int sw_audit_frame_parse(const uint8_t *p, size_t avail, sw_audit_frame *fr, sw_err *err);

/* ======================= signed checkpoints (checkpoint.c) ============================ */

#define SW_AUDIT_ORIGIN_MAX 128
typedef struct sw_checkpoint {
    char origin[SW_AUDIT_ORIGIN_MAX];
    uint64_t size;
    uint8_t root[SW_HASH_BYTES];
} sw_checkpoint;

/* Signs the checkpoint as a signed note (body "origin\nsize\nbase64(root)\n", a blank
 * line, then "— origin base64(keyhash4 || ed25519 signature)\n"). The signer's name is the
 * origin. Appends the note's text to out. */
int sw_checkpoint_sign(const sw_checkpoint *cp, const uint8_t sk[64], sw_buf *out, sw_err *err);
/* Parses and verifies a note against any of npub public keys (old keys stay valid). Fills
 * cp. -1 when malformed, when no signature line matches a key, or when it does not verify. */
int sw_checkpoint_verify(const char *note, size_t len, const uint8_t (*pubs)[32], size_t npub,
                         sw_checkpoint *cp, sw_err *err);
/* Parses the body only (no signature check); for tools that just display a note. */
int sw_checkpoint_parse(const char *note, size_t len, sw_checkpoint *cp, sw_err *err);
/* The note key hash: SHA-256(name || "\n" || 0x01 || pub)[0:4]. */
void sw_checkpoint_keyhash(const char *name, const uint8_t pub[32], uint8_t out[4]);

/* ======================= the log (store.c) ============================================ */

typedef struct sw_audit sw_audit;

typedef struct sw_audit_opts {
    const char *origin;         /* checkpoint origin and signer name; NULL: "steward-audit" */
    uint64_t checkpoint_every;  /* write a checkpoint after this many records; 0: 100000 */
    uint32_t checkpoint_ms;     /* ... or this long after the last one; 0: 1000 ms */
    uint64_t segment_bytes;     /* for a new log only; 0: 256 MiB */
    uint64_t max_pending_bytes; /* submitters wait while more is unflushed; 0: 64 MiB */
    int read_only;              /* no lock, no recovery, no appends: for readers and verify */
    int no_checkpoint_on_close; /* for tests that simulate a crash */
} sw_audit_opts;

/* What open found and repaired. */
typedef struct sw_audit_recovery {
    uint64_t truncated_bytes;   /* torn tail cut from the last segment */
    uint64_t truncated_from;    /* record number at which the cut started */
    uint64_t rebuilt;           /* records re-indexed from the segments */
    uint64_t tail_bytes;        /* read-only: bytes past the last indexed record */
} sw_audit_recovery;

/* Opens (creating when missing) the log under home/audit. A writer takes an exclusive
 * lock (a second writer gets an error naming the holder), recovers: re-indexes records
 * that the derived files miss and truncates a torn tail (reported in *sw_audit_recovered
 * and by a warning through sw_log); it refuses to cut any record that a checkpoint covers.
 * The signing key is created under home/keys on first use. Free with sw_audit_close. */
int sw_audit_open(const char *home, const sw_audit_opts *opts, sw_audit **out, sw_err *err);
/* Flushes, writes a final checkpoint (writers, unless opts said not to) and frees. NULL ok.
 * Returns -1 when the final flush or checkpoint failed; the log is freed either way. */
int sw_audit_close(sw_audit *log, sw_err *err);
const sw_audit_recovery *sw_audit_recovered(const sw_audit *log);

/* Appends one record and returns once it is durable (fdatasync'd with its batch); *index
 * receives its number. Thread-safe: concurrent appenders share one fsync (group commit). */
int sw_audit_append(sw_audit *log, const void *rec, size_t len, uint64_t *index, sw_err *err);
/* The asynchronous form: queues the record and returns its number at once, not yet
 * durable. sw_audit_sync(log, index) waits until every record up to index is durable. */
int sw_audit_submit(sw_audit *log, const void *rec, size_t len, uint64_t *index, sw_err *err);
int sw_audit_sync(sw_audit *log, uint64_t index, sw_err *err);

/* Group-commit counters since open (for metrics): batches written and fdatasync'd, the
 * records they held, and checkpoints signed. */
typedef struct sw_audit_stats {
    uint64_t batches, records, checkpoints;
} sw_audit_stats;
void sw_audit_get_stats(sw_audit *log, sw_audit_stats *st);

/* Number of durable records (the tree size that proofs and checkpoints can use). */
uint64_t sw_audit_size(sw_audit *log);
/* Record bytes of number `index` into out (appended), checked against its frame. */
int sw_audit_read(sw_audit *log, uint64_t index, sw_buf *out, sw_err *err);
/* Stored leaf hash of a record / subtree hash; O(1) reads of the tree files. */
int sw_audit_leaf(sw_audit *log, uint64_t index, uint8_t out[SW_HASH_BYTES], sw_err *err);
/* Root of the tree of the first `size` records (size <= sw_audit_size). */
int sw_audit_root(sw_audit *log, uint64_t size, uint8_t out[SW_HASH_BYTES], sw_err *err);
/* Proofs against the tree of `size` records, read from the stored subtree hashes:
 * O(log n), without reading records. */
int sw_audit_prove(sw_audit *log, uint64_t index, uint64_t size,
                   uint8_t proof[][SW_HASH_BYTES], size_t *n, sw_err *err);
int sw_audit_consistency(sw_audit *log, uint64_t old, uint64_t size,
                         uint8_t proof[][SW_HASH_BYTES], size_t *n, sw_err *err);

/* Calls fn for every record in order (frames checked); stops with -1 when fn returns
 * nonzero. For export. */
int sw_audit_scan(sw_audit *log, uint64_t from,
                  int (*fn)(void *ud, uint64_t index, const uint8_t *rec, size_t len), void *ud,
                  sw_err *err);

/* What a salvage found: intact frames, and the damaged stretches it skipped. */
typedef struct sw_audit_salvage_report {
    uint64_t records;        /* intact frames passed to fn */
    uint64_t damaged;        /* damaged stretches (bad bytes, or a gap in the numbering) */
    uint64_t damaged_bytes;  /* bytes skipped */
    uint64_t first_damaged;  /* the record number expected where the first damage starts */
} sw_audit_salvage_report;
/* Reads the segments directly, ignoring the index and tree files, and calls fn for every
 * frame whose checksum holds, with the number the frame carries; damaged bytes are skipped
 * (resynchronising on the next valid frame) and counted in rep. For getting out what is
 * intact of a damaged log; works read-only. -1 when a segment cannot be read or fn stops. */
int sw_audit_salvage(sw_audit *log, int (*fn)(void *ud, uint64_t index, const uint8_t *rec, size_t len),
                     void *ud, sw_audit_salvage_report *rep, sw_err *err);

/* Outcome of a full verification. */
typedef struct sw_audit_verify_report {
    uint64_t records;           /* records checked */
    uint64_t checkpoints;       /* signed checkpoints whose root was matched */
    uint64_t bad_record;        /* first bad record (valid when the call returned -1 and
                                   has_bad_record is set) */
    int has_bad_record;
    uint8_t root[SW_HASH_BYTES]; /* root of all records */
} sw_audit_verify_report;
/* Recomputes the whole log from the segments: every frame's checksum and number, every
 * leaf against the index and tree files, every subtree hash, and the root at every signed
 * checkpoint (signature included). Returns -1 naming the first bad record. */
int sw_audit_verify(sw_audit *log, sw_audit_verify_report *rep, sw_err *err);

/* ---- checkpoints of this log (checkpoint.c) ---- */
/* Signs and stores a checkpoint of the durable records now (also done automatically at
 * the configured interval and on close). Fills cp and, when note is not NULL, the text. */
int sw_audit_checkpoint(sw_audit *log, sw_checkpoint *cp, sw_buf *note, sw_err *err);
/* The latest stored checkpoint, verified. -1 when there is none or it does not verify. */
int sw_audit_latest_checkpoint(sw_audit *log, sw_checkpoint *cp, sw_buf *note, sw_err *err);
/* The stored checkpoint with exactly this size, verified; -1 when none. */
int sw_audit_find_checkpoint(sw_audit *log, uint64_t size, sw_checkpoint *cp, sw_buf *note,
                             sw_err *err);
/* Verifies a checkpoint note with this instance's keys (current and old). */
int sw_audit_verify_note(sw_audit *log, const char *note, size_t len, sw_checkpoint *cp,
                         sw_err *err);

/* ---- lineage (checkpoint.c): data, training, policy and key events ---- */
typedef struct sw_audit_artifact {
    const char *role;   /* e.g. "dataset", "model", "policy", "public_key" */
    const char *name;   /* a path or identifier */
    const char *sha256; /* lower-case hex of the artifact's SHA-256 */
} sw_audit_artifact;
/* Appends (durably) a lineage record {"type":"lineage","event":event,"time":...,
 * "principal":...,"inputs":[...],"outputs":[...],"details":{...}} linking the hashes of
 * the inputs and outputs. event: "data", "train", "policy", "key" or another word;
 * details_json: a JSON object text or NULL. */
int sw_audit_lineage(sw_audit *log, const char *event, const char *principal,
                     const sw_audit_artifact *inputs, size_t nin,
                     const sw_audit_artifact *outputs, size_t nout, const char *details_json,
                     uint64_t *index, sw_err *err);
/* The same for a caller that does not hold the log open: opens the log under home,
 * appends the record durably, closes it (writing a checkpoint). -1 with a message when the
 * log cannot be opened (another process holds it) or written. */
int sw_audit_lineage_home(const char *home, const char *event, const char *principal,
                          const sw_audit_artifact *inputs, size_t nin,
                          const sw_audit_artifact *outputs, size_t nout, const char *details_json,
                          uint64_t *index, sw_err *err);
/* Replaces the checkpoint signing key (the old public key is kept, so old checkpoints
 * still verify) and appends a "key" lineage record from the old key to the new one. */
int sw_audit_rotate_key(sw_audit *log, const char *principal, uint64_t *index, sw_err *err);

/* ---- retention of content, crypto-shredded (retention.c) ---- */
#define SW_AUDIT_RETENTION_DEFAULT_S (183ll * 24 * 3600) /* six months */
/* Encrypts content under a fresh per-record key (secretbox) and stores it; *slot receives
 * the handle to put in the record ("retained":{"slot":N}). Durable on return. */
int sw_audit_retain(sw_audit *log, const void *content, size_t len, uint64_t *slot, sw_err *err);
/* Decrypts retained content into out. -1 ("forgotten") once its key was destroyed. */
int sw_audit_recall(sw_audit *log, uint64_t slot, sw_buf *out, sw_err *err);
/* Destroys the key of one slot (overwritten and synced). Idempotent. */
int sw_audit_forget(sw_audit *log, uint64_t slot, sw_err *err);
/* Destroys the keys of slots stored more than max_age_s seconds before now (unix time);
 * *count receives how many were destroyed by this call. */
int sw_audit_forget_expired(sw_audit *log, int64_t max_age_s, int64_t now, uint64_t *count,
                            sw_err *err);
/* The slot that record `index` refers to ("retained":{"slot":N}); -1 when it has none or
 * has no "content_sha256" (64 lower-case hex digits) to check the slot against. */
int sw_audit_record_slot(sw_audit *log, uint64_t index, uint64_t *slot, sw_err *err);
/* Recalls the content of record `index` through its slot, and checks it against the
 * record's own content_sha256: -1 (out unchanged) when the record claims a slot that holds
 * another record's content. */
int sw_audit_recall_record(sw_audit *log, uint64_t index, sw_buf *out, sw_err *err);
/* Forgets the content of record `index`: the slot's key is destroyed only when its
 * content hashes to the record's content_sha256 (-1 otherwise). Idempotent. */
int sw_audit_forget_record(sw_audit *log, uint64_t index, sw_err *err);

#endif
