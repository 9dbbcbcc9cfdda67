"""rfc6962.py - an independent oracle: the Merkle Tree Hash, audit paths and consistency
proofs written directly from the recursive definitions of RFC 6962 section 2.1, and the
verification algorithms of RFC 9162 sections 2.1.3.2 and 2.1.4.2. Only hashlib."""
import hashlib


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _k(n):
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(entries):
    """MTH(D[n]) over a list of entries (bytes)."""
    n = len(entries)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaf_hash(entries[0])
    k = _k(n)
    return node_hash(mth(entries[:k]), mth(entries[k:]))


def path(m, entries):
    """PATH(m, D[n]): the audit path of leaf m, leaf side first."""
    n = len(entries)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return path(m, entries[:k]) + [mth(entries[k:])]
    return path(m - k, entries[k:]) + [mth(entries[:k])]


def _subproof(m, entries, b):
    n = len(entries)
    if m == n:
        return [] if b else [mth(entries)]
    k = _k(n)
    if m <= k:
        return _subproof(m, entries[:k], b) + [mth(entries[k:])]
    return _subproof(m - k, entries[k:], False) + [mth(entries[:k])]


def proof(m, entries):
    """PROOF(m, D[n]): consistency proof from the first m entries (0 < m <= n)."""
    return _subproof(m, entries, True)


def verify_inclusion(leaf, index, size, proof_, root):
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof_:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_hash, second_hash, proof_):
    if first == second:
        return not proof_ and first_hash == second_hash
    if first == 0 or first > second or not proof_:
        return False
    p = list(proof_)
    if first & (first - 1) == 0:
        p = [first_hash] + p
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = p[0]
    for c in p[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_hash and sr == second_hash
