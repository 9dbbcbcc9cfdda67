/* merkle.c - RFC 6962/9162 Merkle tree hashing, inclusion and consistency proofs and their
 * verifiers, over any store of complete-subtree hashes. */
#include "audit_int.h"

#include <sodium.h>
#include <string.h>

void sw_merkle_leaf_hash(const void *entry, size_t len, uint8_t out[SW_HASH_BYTES]) {
    static const uint8_t prefix = 0x00;
    const void *parts[2] = {&prefix, entry};
    size_t lens[2] = {1, len};
    sw_sha256_parts(parts, lens, 2, out);
}

void sw_merkle_node_hash(const uint8_t left[SW_HASH_BYTES], const uint8_t right[SW_HASH_BYTES],
                         uint8_t out[SW_HASH_BYTES]) {
    uint8_t buf[1 + 2 * SW_HASH_BYTES];
    buf[0] = 0x01;
    memcpy(buf + 1, left, SW_HASH_BYTES);
    memcpy(buf + 1 + SW_HASH_BYTES, right, SW_HASH_BYTES);
    sw_sha256(buf, sizeof buf, out);
}

void sw_merkle_empty_root(uint8_t out[SW_HASH_BYTES]) { sw_sha256("", 0, out); }

/* Largest power of two strictly less than n (n >= 2). */
static uint64_t split_point(uint64_t n) {
    uint64_t k = 1;
    while (k << 1 < n) k <<= 1;
    return k;
}

static int is_pow2(uint64_t n) { return n && !(n & (n - 1)); }

int sw_merkle_range_hash(sw_merkle_node_fn fn, void *ud, uint64_t begin, uint64_t end,
                         uint8_t out[SW_HASH_BYTES], sw_err *err) {
    if (end < begin) return sw_err_set(err, "merkle: range [%llu, %llu) is reversed",
                                       (unsigned long long)begin, (unsigned long long)end);
    uint64_t n = end - begin;
    if (n == 0) {
        sw_merkle_empty_root(out);
        return 0;
    }
    if (is_pow2(n) && (begin & (n - 1)) == 0) /* a complete subtree: stored as is */
        return fn(ud, (unsigned)__builtin_ctzll(n), begin >> __builtin_ctzll(n), out, err);
    /* The range splits into complete subtrees, one per set bit of n, largest first;
     * fold them from the right. */
    uint8_t parts[64][SW_HASH_BYTES];
    int np = 0;
    uint64_t at = begin;
    for (int l = 63 - __builtin_clzll(n); l >= 0; l--) {
        if (!(n >> l & 1)) continue;
        if (at & ((1ull << l) - 1))
            return sw_err_set(err, "merkle: range [%llu, %llu) is not a subtree",
                              (unsigned long long)begin, (unsigned long long)end);
        if (fn(ud, (unsigned)l, at >> l, parts[np], err) < 0) return -1;
        np++;
        at += 1ull << l;
    }
    memcpy(out, parts[np - 1], SW_HASH_BYTES);
    for (int i = np - 2; i >= 0; i--) sw_merkle_node_hash(parts[i], out, out);
    return 0;
}

/* The hashes of the right-edge ranges of a tree of `size` leaves: edge[j] = MTH of the
 * last (size mod 2^j) leaves, for each j just above a set bit of size. Every incomplete
 * subtree in a proof is one of them, so a proof needs popcount(size) - 1 node hashes in
 * all instead of hashing each incomplete sibling from scratch. */
typedef struct edges {
    sw_merkle_node_fn fn;
    void *ud;
    uint64_t size;
    uint8_t h[65][SW_HASH_BYTES];
} edges;

static int edges_init(edges *e, sw_merkle_node_fn fn, void *ud, uint64_t size, sw_err *err) {
    e->fn = fn;
    e->ud = ud;
    e->size = size;
    int have = 0;
    uint8_t acc[SW_HASH_BYTES], part[SW_HASH_BYTES];
    for (unsigned l = 0; l < 64; l++) {
        if (!(size >> l & 1)) continue;
        if (fn(ud, l, (size >> l) - 1, part, err) < 0) return -1;
        if (have) sw_merkle_node_hash(part, acc, acc);
        else memcpy(acc, part, SW_HASH_BYTES);
        have = 1;
        memcpy(e->h[l + 1], acc, SW_HASH_BYTES);
    }
    return 0;
}

/* MTH(D[begin:end]) of a proof's subtree: an edge from the table, else from the store. */
static int edge_range(edges *e, uint64_t begin, uint64_t end, uint8_t out[SW_HASH_BYTES], sw_err *err) {
    uint64_t r = end - begin;
    if (end == e->size && r && !is_pow2(r)) {
        unsigned j = 64 - (unsigned)__builtin_clzll(r);
        if (j < 64 && r == (e->size & ((1ull << j) - 1))) {
            memcpy(out, e->h[j], SW_HASH_BYTES);
            return 0;
        }
    }
    return sw_merkle_range_hash(e->fn, e->ud, begin, end, out, err);
}

int sw_merkle_inclusion_proof(sw_merkle_node_fn fn, void *ud, uint64_t index, uint64_t size,
                              uint8_t proof[][SW_HASH_BYTES], size_t *n, sw_err *err) {
    *n = 0;
    if (index >= size)
        return sw_err_set(err, "merkle: record %llu is not in a tree of %llu records",
                          (unsigned long long)index, (unsigned long long)size);
    edges es, *e = &es;
    if (edges_init(e, fn, ud, size, err) < 0) return -1;
    /* Walk down from the root, collecting siblings top-down, then reverse. */
    uint64_t begin = 0, end = size, m = index;
    size_t k = 0;
    while (end - begin > 1) {
        uint64_t split = split_point(end - begin);
        int rc;
        if (m < split) {
            rc = edge_range(e, begin + split, end, proof[k], err);
            end = begin + split;
        } else {
            rc = edge_range(e, begin, begin + split, proof[k], err);
            begin += split;
            m -= split;
        }
        if (rc < 0) return -1;
        k++;
    }
    for (size_t i = 0; i < k / 2; i++) {
        uint8_t t[SW_HASH_BYTES];
        memcpy(t, proof[i], SW_HASH_BYTES);
        memcpy(proof[i], proof[k - 1 - i], SW_HASH_BYTES);
        memcpy(proof[k - 1 - i], t, SW_HASH_BYTES);
    }
    *n = k;
    return 0;
}

int sw_merkle_consistency_proof(sw_merkle_node_fn fn, void *ud, uint64_t old, uint64_t size,
                                uint8_t proof[][SW_HASH_BYTES], size_t *n, sw_err *err) {
    *n = 0;
    if (old > size)
        return sw_err_set(err, "merkle: old size %llu is larger than new size %llu",
                          (unsigned long long)old, (unsigned long long)size);
    if (old == 0 || old == size) return 0;
    /* SUBPROOF(m, D[begin:end], b) unrolled: nodes are collected top-down, so the
     * inner proof (deeper nodes) must come first: collect then reverse. */
    edges es, *e = &es;
    if (edges_init(e, fn, ud, size, err) < 0) return -1;
    uint64_t begin = 0, end = size, m = old;
    int whole = 1, rc = 0;
    size_t k = 0;
    for (;;) {
        uint64_t len = end - begin;
        if (m == len) {
            if (!whole) rc = edge_range(e, begin, end, proof[k++], err);
            break;
        }
        uint64_t split = split_point(len);
        if (m <= split) {
            rc = edge_range(e, begin + split, end, proof[k++], err);
            end = begin + split;
        } else {
            rc = edge_range(e, begin, begin + split, proof[k++], err);
            begin += split;
            m -= split;
            whole = 0;
        }
        if (rc < 0) break;
    }
    if (rc < 0) return -1;
    for (size_t i = 0; i < k / 2; i++) {
        uint8_t t[SW_HASH_BYTES];
        memcpy(t, proof[i], SW_HASH_BYTES);
        memcpy(proof[i], proof[k - 1 - i], SW_HASH_BYTES);
        memcpy(proof[k - 1 - i], t, SW_HASH_BYTES);
    }
    *n = k;
    return 0;
}

int sw_merkle_verify_inclusion(const uint8_t leaf[SW_HASH_BYTES], uint64_t index, uint64_t size,
                               const uint8_t proof[][SW_HASH_BYTES], size_t n,
                               const uint8_t root[SW_HASH_BYTES], sw_err *err) {
    if (index >= size)
        return sw_err_set(err, "inclusion proof: index %llu is not below tree size %llu",
                          (unsigned long long)index, (unsigned long long)size);
    uint64_t fn = index, sn = size - 1;
    uint8_t r[SW_HASH_BYTES];
    memcpy(r, leaf, SW_HASH_BYTES);
    for (size_t i = 0; i < n; i++) {
        if (sn == 0) return sw_err_set(err, "inclusion proof: %zu hashes, too long", n);
        if ((fn & 1) || fn == sn) {
            sw_merkle_node_hash(proof[i], r, r);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            sw_merkle_node_hash(r, proof[i], r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0) return sw_err_set(err, "inclusion proof: %zu hashes, too short", n);
    if (sodium_memcmp(r, root, SW_HASH_BYTES) != 0)
        return sw_err_set(err, "inclusion proof: computed root does not match");
    return 0;
}

int sw_merkle_verify_consistency(uint64_t old_size, uint64_t size,
                                 const uint8_t old_root[SW_HASH_BYTES],
                                 const uint8_t root[SW_HASH_BYTES],
                                 const uint8_t proof[][SW_HASH_BYTES], size_t n, sw_err *err) {
    if (old_size > size)
        return sw_err_set(err, "consistency proof: old size %llu > new size %llu",
                          (unsigned long long)old_size, (unsigned long long)size);
    if (old_size == size) {
        if (n != 0) return sw_err_set(err, "consistency proof: must be empty for equal sizes");
        if (sodium_memcmp(old_root, root, SW_HASH_BYTES) != 0)
            return sw_err_set(err, "consistency proof: roots differ at equal sizes");
        return 0;
    }
    if (old_size == 0) {
        if (n != 0) return sw_err_set(err, "consistency proof: must be empty from size 0");
        return 0;
    }
    if (n == 0) return sw_err_set(err, "consistency proof: empty");
    if (n > SW_MERKLE_MAX_PROOF) return sw_err_set(err, "consistency proof: too long");
    /* RFC 9162 2.1.4.2: when old_size is a power of two its root starts the path. */
    const uint8_t *path[SW_MERKLE_MAX_PROOF + 1];
    size_t np = 0;
    if (is_pow2(old_size)) path[np++] = old_root;
    for (size_t i = 0; i < n; i++) path[np++] = proof[i];
    uint64_t fn = old_size - 1, sn = size - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    uint8_t fr[SW_HASH_BYTES], sr[SW_HASH_BYTES];
    memcpy(fr, path[0], SW_HASH_BYTES);
    memcpy(sr, path[0], SW_HASH_BYTES);
    for (size_t i = 1; i < np; i++) {
        if (sn == 0) return sw_err_set(err, "consistency proof: %zu hashes, too long", n);
        if ((fn & 1) || fn == sn) {
            sw_merkle_node_hash(path[i], fr, fr);
            sw_merkle_node_hash(path[i], sr, sr);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            sw_merkle_node_hash(sr, path[i], sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0) return sw_err_set(err, "consistency proof: %zu hashes, too short", n);
    if (sodium_memcmp(fr, old_root, SW_HASH_BYTES) != 0)
        return sw_err_set(err, "consistency proof: old root does not match");
    if (sodium_memcmp(sr, root, SW_HASH_BYTES) != 0)
        return sw_err_set(err, "consistency proof: new root does not match");
    return 0;
}

void sw_merkle_frontier_push(sw_merkle_frontier *f, const uint8_t leaf[SW_HASH_BYTES],
                             void (*emit)(void *ud, unsigned level, uint64_t index,
                                          const uint8_t h[SW_HASH_BYTES]),
                             void *ud) {
    uint8_t h[SW_HASH_BYTES];
    memcpy(h, leaf, SW_HASH_BYTES);
    uint64_t n = f->size;
    unsigned l = 0;
    if (emit) emit(ud, 0, n, h);
    while (n >> l & 1) {
        sw_merkle_node_hash(f->h[l], h, h);
        l++;
        if (emit) emit(ud, l, n >> l, h);
    }
    memcpy(f->h[l], h, SW_HASH_BYTES);
    f->size++;
}

void sw_merkle_frontier_root(const sw_merkle_frontier *f, uint8_t out[SW_HASH_BYTES]) {
    if (f->size == 0) {
        sw_merkle_empty_root(out);
        return;
    }
    int have = 0;
    for (unsigned l = 0; l < 64; l++) {
        if (!(f->size >> l & 1)) continue;
        if (!have) memcpy(out, f->h[l], SW_HASH_BYTES);
        else sw_merkle_node_hash(f->h[l], out, out);
        have = 1;
    }
}
