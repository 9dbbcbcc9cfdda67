"""test_quant_ref.py - an independent numpy reference of GGML's block layouts.

Dequantisation of F16, Q4_0, Q5_0, Q8_0, Q4_K and Q6_K is written here from the layout
description (docs/kernels.md, GGML's block structs), not from steward's C code, and must
agree with libsteward BIT FOR BIT on random blocks: random quants, random scale bytes,
random finite f16 scales (negative and subnormal included). Q8_0 / Q4_0 / Q5_0 / F16
quantisation is also compared exactly with GGML's reference rounding rules, and BF16 (the
top half of a single, rounded to nearest even) both ways on every value; K-quant
quantisation is checked for consistency (C quantises, numpy dequantises, error bounds).

The C side is tests/engine/quant_tool.c, compiled here against
$STEWARD_ROOT/$STEWARD_BUILD/libsteward.a (run `make` first).
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

F32, F16, Q4_0, Q5_0, Q8_0, Q4_K, Q6_K, BF16 = 0, 1, 2, 6, 8, 12, 14, 30
BLOCK = {F16: (1, 2), Q4_0: (32, 18), Q5_0: (32, 22), Q8_0: (32, 34), Q4_K: (256, 144), Q6_K: (256, 210)}

ROOT = os.environ.get("STEWARD_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("STEWARD_BUILD", "build")
results = []


def check(name, cond, detail=""):
    results.append(cond)
    print(("ok - " if cond else "not ok - ") + name)
    if not cond and detail:
        print("  " + detail.replace("\n", "\n  "), file=sys.stderr)
    sys.stdout.flush()


def build_tool(tmp):
    lib = os.path.join(ROOT, BUILD, "libsteward.a")
    exe = os.path.join(tmp, "quant_tool")
    cmd = ["cc", "-std=c11", "-O1", "-I" + os.path.join(ROOT, "include"),
           os.path.join(ROOT, "tests", "engine", "quant_tool.c"), lib,
           "-lsodium", "-lcrypto", "-ljansson", "-lutf8proc", "-lm", "-fopenmp", "-pthread", "-o", exe]
    subprocess.run(cmd, check=True)
    return exe


def run_tool(exe, mode, gtype, data):
    p = subprocess.run([exe, mode, str(gtype)], input=data, stdout=subprocess.PIPE, check=True)
    return p.stdout


# ---- the reference: dequantisation from the layouts ----

def f16(raw_u16):
    """little-endian IEEE half -> float32 (exact)."""
    return raw_u16.view("<f2").astype(np.float32)


def deq_f16(b):
    return f16(np.frombuffer(b, dtype="<u2").copy())


def deq_q8_0(b):
    # block: f16 d, int8 q[32]; value = q * d
    blk = np.frombuffer(b, dtype=np.uint8).reshape(-1, 34)
    d = f16(blk[:, 0:2].copy().view("<u2"))               # (nb, 1)
    q = blk[:, 2:].view(np.int8).astype(np.float32)       # (nb, 32)
    return (q * d).reshape(-1)


def deq_q4_0(b):
    # block: f16 d, u8 qs[16]; element j = low nibble of qs[j], j+16 = high nibble; (q-8)*d
    blk = np.frombuffer(b, dtype=np.uint8).reshape(-1, 18)
    d = f16(blk[:, 0:2].copy().view("<u2"))
    qs = blk[:, 2:].astype(np.int32)
    q = np.concatenate([qs & 15, qs >> 4], axis=1) - 8
    return (q.astype(np.float32) * d).reshape(-1)


def q4_k_scales(s):
    """12 bytes -> 8 six-bit scales, 8 six-bit mins (per 32-element sub-block).
    Sub-blocks 0-3: scale = s[j] & 63, min = s[j+4] & 63.
    Sub-blocks 4-7: scale = (s[j+4] & 15) | (s[j-4] >> 6) << 4,
                    min   = (s[j+4] >> 4) | (s[j]   >> 6) << 4."""
    s = s.astype(np.int32)
    sc = np.empty((s.shape[0], 8), np.int32)
    mn = np.empty((s.shape[0], 8), np.int32)
    sc[:, :4] = s[:, 0:4] & 63
    mn[:, :4] = s[:, 4:8] & 63
    sc[:, 4:] = (s[:, 8:12] & 15) | ((s[:, 0:4] >> 6) << 4)
    mn[:, 4:] = (s[:, 8:12] >> 4) | ((s[:, 4:8] >> 6) << 4)
    return sc, mn


def deq_q4_k(b):
    # block: f16 d, f16 dmin, u8 scales[12], u8 qs[128]
    # qs in 4 chunks of 32 bytes: chunk c holds elements 64c..64c+31 in low nibbles and
    # 64c+32..64c+63 in high nibbles; sub-block s = element // 32
    # value = (d*sc[s]) * q - (dmin*m[s]), each product rounded to float32
    blk = np.frombuffer(b, dtype=np.uint8).reshape(-1, 144)
    d = f16(blk[:, 0:2].copy().view("<u2"))
    dmin = f16(blk[:, 2:4].copy().view("<u2"))
    sc, mn = q4_k_scales(blk[:, 4:16])
    qs = blk[:, 16:].reshape(-1, 4, 32).astype(np.int32)
    q = np.stack([qs & 15, qs >> 4], axis=2).reshape(-1, 8, 32)    # (nb, sub-block, 32)
    ds = (d * sc.astype(np.float32))[:, :, None]
    ms = (dmin * mn.astype(np.float32))[:, :, None]
    return (ds * q.astype(np.float32) - ms).reshape(-1)


def deq_q6_k(b):
    # block: u8 ql[128], u8 qh[64], int8 scales[16], f16 d
    # two halves of 128 elements; half h uses ql[64h:64h+64], qh[32h:32h+32]; for l < 32:
    #   element 32k+l (k = 0..3) takes the low nibble of ql[l] (k=0), ql[l+32] (k=1), the
    #   high nibble of ql[l] (k=2), ql[l+32] (k=3), and bits 2k..2k+1 of qh[l] as bits 4-5
    # value = (d * scales[e // 16]) * (q - 32)
    blk = np.frombuffer(b, dtype=np.uint8).reshape(-1, 210)
    nb = blk.shape[0]
    ql = blk[:, 0:128].reshape(nb, 2, 64).astype(np.int32)
    qh = blk[:, 128:192].reshape(nb, 2, 32).astype(np.int32)
    sc = blk[:, 192:208].view(np.int8).astype(np.float32)
    d = f16(blk[:, 208:210].copy().view("<u2"))
    lo = [ql[:, :, 0:32] & 15, ql[:, :, 32:64] & 15, ql[:, :, 0:32] >> 4, ql[:, :, 32:64] >> 4]
    q = np.stack([lo[k] | (((qh >> (2 * k)) & 3) << 4) for k in range(4)], axis=2)  # (nb,2,4,32)
    q = q.reshape(nb, 256) - 32
    ds = np.repeat(d * sc, 16, axis=1)                   # (nb, 256)
    return (ds * q.astype(np.float32)).reshape(-1)


def deq_q5_0(b):
    # block: f16 d, u32 qh (little-endian), u8 qs[16]; element j < 16: low nibble of qs[j],
    # j >= 16: high nibble of qs[j-16]; bit j of qh is the 5th bit; value (q-16)*d
    blk = np.frombuffer(b, dtype=np.uint8).reshape(-1, 22)
    d = f16(blk[:, 0:2].copy().view("<u2"))
    qh = blk[:, 2:6].copy().view("<u4").astype(np.int64)            # (nb, 1)
    hi = (qh >> np.arange(32)) & 1                                  # (nb, 32)
    qs = blk[:, 6:].astype(np.int64)
    q = np.concatenate([qs & 15, qs >> 4], axis=1) + 16 * hi - 16
    return (q.astype(np.float32) * d).reshape(-1)


DEQ = {F16: deq_f16, Q8_0: deq_q8_0, Q4_0: deq_q4_0, Q5_0: deq_q5_0, Q4_K: deq_q4_k, Q6_K: deq_q6_k}
NAME = {F16: "F16", Q8_0: "Q8_0", Q4_0: "Q4_0", Q5_0: "Q5_0", Q4_K: "Q4_K", Q6_K: "Q6_K"}


# ---- random blocks ----

def random_halves(rng, n, scale_exp_max=18):
    """finite halves, both signs, subnormals and zero included."""
    sign = rng.integers(0, 2, n) << 15
    exp = rng.integers(0, scale_exp_max, n)           # 0 = zero/subnormal, below 15 = < 1
    mant = rng.integers(0, 1024, n)
    h = (sign | (exp << 10) | mant).astype("<u2")
    h[rng.integers(0, n, max(1, n // 50))] = 0         # some exact zeros
    return h


def random_blocks(rng, gtype, nblocks):
    per, size = BLOCK[gtype]
    if gtype == F16:
        return random_halves(rng, nblocks * per, 31).tobytes()   # every finite half
    raw = rng.integers(0, 256, (nblocks, size), dtype=np.uint8)
    if gtype in (Q8_0, Q4_0, Q5_0):
        raw[:, 0:2] = random_halves(rng, nblocks).view(np.uint8).reshape(-1, 2)
    elif gtype == Q4_K:
        raw[:, 0:2] = random_halves(rng, nblocks).view(np.uint8).reshape(-1, 2)
        raw[:, 2:4] = random_halves(rng, nblocks).view(np.uint8).reshape(-1, 2)
    elif gtype == Q6_K:
        raw[:, 208:210] = random_halves(rng, nblocks).view(np.uint8).reshape(-1, 2)
    return raw.tobytes()


def bits_equal(a, b):
    a = np.asarray(a, np.float32).view(np.uint32)
    b = np.asarray(b, np.float32).view(np.uint32)
    if a.shape != b.shape:
        return False, "shapes %s vs %s" % (a.shape, b.shape)
    bad = np.nonzero(a != b)[0]
    if len(bad):
        i = bad[0]
        return False, "%d of %d differ; first at %d: C %08x (%r) vs numpy %08x (%r)" % (
            len(bad), len(a), i, a[i], a.view(np.float32)[i], b[i], b.view(np.float32)[i])
    return True, ""


# ---- reference quantisers with GGML's rounding (Q8_0, Q4_0, F16) ----

def quant_q8_0(x):
    x = x.reshape(-1, 32).astype(np.float32)
    amax = np.abs(x).max(axis=1)
    d = (amax / np.float32(127)).astype(np.float32)
    with np.errstate(divide="ignore"):
        idv = np.where(d != 0, np.float32(1) / d, np.float32(0)).astype(np.float32)
    v = (x * idv[:, None]).astype(np.float32)
    q = np.sign(v) * np.floor(np.abs(v).astype(np.float64) + 0.5)        # roundf: half away
    out = np.empty((x.shape[0], 34), np.uint8)
    out[:, 0:2] = d.astype("<f2").view(np.uint8).reshape(-1, 2)
    out[:, 2:] = q.astype(np.int8).view(np.uint8)
    return out.tobytes()


def quant_q4_0(x):
    x = x.reshape(-1, 32).astype(np.float32)
    idx = np.argmax(np.abs(x), axis=1)                   # first element of largest magnitude
    mx = x[np.arange(x.shape[0]), idx]
    d = (mx / np.float32(-8)).astype(np.float32)
    with np.errstate(divide="ignore"):
        idv = np.where(d != 0, np.float32(1) / d, np.float32(0)).astype(np.float32)
    v = ((x * idv[:, None]).astype(np.float32) + np.float32(8.5)).astype(np.float32)
    q = np.minimum(15, np.trunc(v)).astype(np.uint8)
    out = np.empty((x.shape[0], 18), np.uint8)
    out[:, 0:2] = d.astype("<f2").view(np.uint8).reshape(-1, 2)
    out[:, 2:] = q[:, :16] | (q[:, 16:] << 4)
    return out.tobytes()


def quant_q5_0(x):
    # as Q4_0 with 5 bits: d = signed extreme / -16, q = min(31, trunc(x/d + 16.5))
    x = x.reshape(-1, 32).astype(np.float32)
    idx = np.argmax(np.abs(x), axis=1)
    mx = x[np.arange(x.shape[0]), idx]
    d = (mx / np.float32(-16)).astype(np.float32)
    with np.errstate(divide="ignore"):
        idv = np.where(d != 0, np.float32(1) / d, np.float32(0)).astype(np.float32)
    v = ((x * idv[:, None]).astype(np.float32) + np.float32(16.5)).astype(np.float32)
    q = np.minimum(31, np.trunc(v)).astype(np.uint32)
    qh = ((q >> 4) << np.arange(32, dtype=np.uint32)).sum(axis=1, dtype=np.uint32)
    out = np.empty((x.shape[0], 22), np.uint8)
    out[:, 0:2] = d.astype("<f2").view(np.uint8).reshape(-1, 2)
    out[:, 2:6] = qh.astype("<u4").view(np.uint8).reshape(-1, 4)
    out[:, 6:] = ((q[:, :16] & 15) | ((q[:, 16:] & 15) << 4)).astype(np.uint8)
    return out.tobytes()


# ---- GGML's K-quant reference quantisers, ported step by step in float32 scalars (slow;
# used on a few blocks). Every operation rounds to float32 in the same order as GGML's C.

f32 = np.float32


def nearest_int(v):
    """round to nearest, ties to even, via the 1.5*2^23 trick of GGML (float32 add)."""
    b = np.array([f32(v) + f32(12582912.0)], np.float32).view(np.int32)[0]
    return int(b & 0x007FFFFF) - 0x00400000


def make_qkx2(x, w, nmax, rmin, rdelta, nstep):
    n = len(x)
    mn, mx = x[0], x[0]
    sum_w = w[0]
    sum_x = f32(sum_w * x[0])
    for i in range(1, n):
        if x[i] < mn:
            mn = x[i]
        if x[i] > mx:
            mx = x[i]
        sum_w = f32(sum_w + w[i])
        sum_x = f32(sum_x + f32(w[i] * x[i]))
    if mn > 0:
        mn = f32(0)
    if mx == mn:
        return f32(0), f32(-mn), [0] * n
    iscale = f32(f32(nmax) / f32(mx - mn))
    scale = f32(f32(1) / iscale)
    L = [0] * n
    best = f32(0)
    for i in range(n):
        L[i] = max(0, min(nmax, nearest_int(f32(iscale * f32(x[i] - mn)))))
        diff = f32(f32(f32(scale * f32(L[i])) + mn) - x[i])
        best = f32(best + f32(w[i] * f32(diff * diff)))
    for st in range(nstep + 1):
        iscale = f32(f32(f32(f32(rmin) + f32(f32(rdelta) * f32(st))) + f32(nmax)) / f32(mx - mn))
        sum_l = sum_l2 = sum_xl = f32(0)
        Laux = [0] * n
        for i in range(n):
            l = max(0, min(nmax, nearest_int(f32(iscale * f32(x[i] - mn)))))
            Laux[i] = l
            wl = f32(w[i] * f32(l))
            sum_l = f32(sum_l + wl)
            sum_l2 = f32(sum_l2 + f32(wl * f32(l)))
            sum_xl = f32(sum_xl + f32(wl * x[i]))
        D = f32(f32(sum_w * sum_l2) - f32(sum_l * sum_l))
        if D > 0:
            this_scale = f32(f32(f32(sum_w * sum_xl) - f32(sum_x * sum_l)) / D)
            this_min = f32(f32(f32(sum_l2 * sum_x) - f32(sum_l * sum_xl)) / D)
            if this_min > 0:
                this_min = f32(0)
                this_scale = f32(sum_xl / sum_l2)
            err = f32(0)
            for i in range(n):
                diff = f32(f32(f32(this_scale * f32(Laux[i])) + this_min) - x[i])
                err = f32(err + f32(w[i] * f32(diff * diff)))
            if err < best:
                L, best, scale, mn = Laux, err, this_scale, this_min
    return scale, f32(-mn), L


def ref_quant_q4_k(x):
    out = bytearray()
    for blk in x.reshape(-1, 256):
        L = [0] * 256
        scales, mins = [], []
        for j in range(8):
            xs = [f32(v) for v in blk[32 * j:32 * j + 32]]
            sum_x2 = f32(0)
            for v in xs:
                sum_x2 = f32(sum_x2 + f32(v * v))
            av_x = f32(np.sqrt(f32(sum_x2 / f32(32))))
            w = [f32(av_x + f32(abs(v))) for v in xs]
            sc, m, Lj = make_qkx2(xs, w, 15, -1.0, 0.1, 20)
            scales.append(sc)
            mins.append(m)
            L[32 * j:32 * j + 32] = Lj
        max_scale = max([f32(0)] + [s for s in scales if s > 0])
        max_min = max([f32(0)] + [m for m in mins if m > 0])
        inv_scale = f32(f32(63) / max_scale) if max_scale > 0 else f32(0)
        inv_min = f32(f32(63) / max_min) if max_min > 0 else f32(0)
        sb = [0] * 12
        for j in range(8):
            ls = min(63, nearest_int(f32(inv_scale * scales[j])) & 0xFF)
            lm = min(63, nearest_int(f32(inv_min * mins[j])) & 0xFF)
            if j < 4:
                sb[j] = ls
                sb[j + 4] = lm
            else:
                sb[j + 4] = (ls & 15) | ((lm & 15) << 4)
                sb[j - 4] |= (ls >> 4) << 6
                sb[j] |= (lm >> 4) << 6
        d = np.float16(f32(max_scale / f32(63)))
        dmin = np.float16(f32(max_min / f32(63)))
        sc_u, mn_u = q4_k_scales(np.array([sb], np.uint8))
        for j in range(8):
            dd = f32(f32(d) * f32(sc_u[0, j]))
            if dd == 0:
                continue
            dm = f32(f32(dmin) * f32(mn_u[0, j]))
            for ii in range(32):
                L[32 * j + ii] = max(0, min(15, nearest_int(f32(f32(blk[32 * j + ii] + dm) / dd))))
        qs = [L[64 * c + l] | (L[64 * c + 32 + l] << 4) for c in range(4) for l in range(32)]
        out += np.array([d, dmin], "<f2").tobytes() + bytes(sb) + bytes(qs)
    return bytes(out)


def make_qx(x, nmax):
    """symmetric fit weighted by x^2 (GGML's make_qx_quants, rmse_type 1)."""
    n = len(x)
    mx = amax = f32(0)
    for v in x:
        if abs(v) > amax:
            amax, mx = f32(abs(v)), v
    if amax < f32(1e-15):
        return f32(0), [0] * n
    iscale = f32(f32(-nmax) / mx)
    sumlx = suml2 = f32(0)
    L = [0] * n
    for i in range(n):
        l = max(-nmax, min(nmax - 1, nearest_int(f32(iscale * x[i]))))
        L[i] = l + nmax
        w = f32(x[i] * x[i])
        sumlx = f32(sumlx + f32(f32(w * x[i]) * f32(l)))
        suml2 = f32(suml2 + f32(f32(w * f32(l)) * f32(l)))
    scale = f32(sumlx / suml2) if suml2 != 0 else f32(0)
    best = f32(scale * sumlx)
    for st in range(-9, 10):
        if st == 0:
            continue
        iscale = f32(f32(-f32(f32(nmax) + f32(f32(0.1) * f32(st)))) / mx)
        sumlx = suml2 = f32(0)
        for i in range(n):
            l = max(-nmax, min(nmax - 1, nearest_int(f32(iscale * x[i]))))
            w = f32(x[i] * x[i])
            sumlx = f32(sumlx + f32(f32(w * x[i]) * f32(l)))
            suml2 = f32(suml2 + f32(f32(w * f32(l)) * f32(l)))
        if suml2 > 0 and f32(sumlx * sumlx) > f32(best * suml2):
            for i in range(n):
                L[i] = nmax + max(-nmax, min(nmax - 1, nearest_int(f32(iscale * x[i]))))
            scale = f32(sumlx / suml2)
            best = f32(scale * sumlx)
    return scale, L


def ref_quant_q6_k(x):
    out = bytearray()
    for blk in x.reshape(-1, 256):
        xs = [f32(v) for v in blk]
        L = [0] * 256
        scales = []
        max_scale = max_abs = f32(0)
        for g in range(16):
            sc, Lg = make_qx(xs[16 * g:16 * g + 16], 32)
            scales.append(sc)
            L[16 * g:16 * g + 16] = Lg
            if abs(sc) > max_abs:
                max_abs, max_scale = f32(abs(sc)), sc
        if max_abs < f32(1e-15):
            out += bytes(210)
            continue
        iscale = f32(f32(-128) / max_scale)
        d = np.float16(f32(f32(1) / iscale))
        sc8 = [min(127, nearest_int(f32(iscale * s))) for s in scales]
        for g in range(16):
            dd = f32(f32(d) * f32(sc8[g]))
            if dd == 0:
                continue
            for l in range(16):
                L[16 * g + l] = max(-32, min(31, nearest_int(f32(xs[16 * g + l] / dd)))) + 32
        ql, qh = [0] * 128, [0] * 64
        for h in range(2):
            Lh = L[128 * h:128 * h + 128]
            for l in range(32):
                ql[64 * h + l] = (Lh[l] & 15) | ((Lh[l + 64] & 15) << 4)
                ql[64 * h + l + 32] = (Lh[l + 32] & 15) | ((Lh[l + 96] & 15) << 4)
                qh[32 * h + l] = (Lh[l] >> 4) | ((Lh[l + 32] >> 4) << 2) | ((Lh[l + 64] >> 4) << 4) | ((Lh[l + 96] >> 4) << 6)
        out += bytes(ql) + bytes(qh) + np.array(sc8, np.int8).tobytes() + np.array([d], "<f2").tobytes()
    return bytes(out)


def main():
    rng = np.random.default_rng(20261128)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            exe = build_tool(tmp)
        except (subprocess.CalledProcessError, OSError) as e:
            check("build quant_tool against libsteward.a", False, str(e))
            return 1

        for gtype in (F16, Q4_0, Q5_0, Q8_0, Q4_K, Q6_K):
            nblocks = 20000 if BLOCK[gtype][0] == 1 else (3000 if BLOCK[gtype][0] == 32 else 400)
            raw = random_blocks(rng, gtype, nblocks)
            c_out = np.frombuffer(run_tool(exe, "d", gtype, raw), dtype="<f4")
            ok, why = bits_equal(c_out, DEQ[gtype](raw))
            check("dequantise %s random blocks bit-exact" % NAME[gtype], ok, why)

        # every half value, in order
        allh = np.arange(65536, dtype=np.uint32).astype("<u2")
        finite = allh[(allh & 0x7C00) != 0x7C00]
        c_out = np.frombuffer(run_tool(exe, "d", F16, finite.tobytes()), dtype="<f4")
        ok, why = bits_equal(c_out, deq_f16(finite.tobytes()))
        check("F16 every finite half bit-exact", ok, why)

        # quantisation with GGML's rounding, exactly
        x = (rng.standard_normal(32 * 4000) * np.repeat(np.exp(rng.uniform(-8, 4, 4000)), 32)).astype(np.float32)
        x[:32] = 0                                          # an all-zero block
        x[32:64] = np.float32(0.5)                          # ties for roundf
        x[64:96] = (np.arange(32, dtype=np.float32) - 16) / np.float32(16)
        for gtype, ref in ((Q8_0, quant_q8_0), (Q4_0, quant_q4_0), (Q5_0, quant_q5_0)):
            c_q = run_tool(exe, "q", gtype, x.tobytes())
            r_q = ref(x)
            same = c_q == r_q
            detail = ""
            if not same:
                a = np.frombuffer(c_q, np.uint8)
                b = np.frombuffer(r_q, np.uint8)
                bad = np.nonzero(a != b)[0] if len(a) == len(b) else [0]
                detail = "%d bytes differ, first at byte %d" % (len(bad), bad[0])
            check("quantise %s matches GGML's reference rounding" % NAME[gtype], same, detail)
        xs = np.concatenate([x[:2000], np.float32([65504, 65520, 1e-8, -3e-8, 6.1e-5])]).astype(np.float32)
        c_q = run_tool(exe, "q", F16, xs.tobytes())
        with np.errstate(over="ignore"):                    # 65520 rounds to inf, as it should
            want = xs.astype("<f2").tobytes()
        check("quantise F16 = IEEE round to nearest even", c_q == want)

        # BF16: the top 16 bits of a single. Every non-NaN value dequantises bit-exact;
        # quantising rounds to nearest even, (u + 0x7fff + bit 16 of u) >> 16, as GGML
        # and llama.cpp's converter do (ties and carries into inf included)
        allb = np.arange(65536, dtype=np.uint32)
        nonnan = allb[~(((allb & 0x7F80) == 0x7F80) & ((allb & 0x7F) != 0))].astype("<u2")
        c_out = np.frombuffer(run_tool(exe, "d", BF16, nonnan.tobytes()), dtype="<f4")
        ok, why = bits_equal(c_out, (nonnan.astype(np.uint32) << 16).view(np.float32))
        check("BF16 every non-NaN value bit-exact", ok, why)
        bits = rng.integers(0, 2 ** 32, 20000, dtype=np.uint64).astype(np.uint32)
        bits = bits[(bits & 0x7F800000) != 0x7F800000]                       # finite
        ties = (bits[:2000] & np.uint32(0xFFFF0000)) | np.uint32(0x8000)      # exactly halfway
        xb = np.concatenate([x.view(np.uint32), bits, ties, np.uint32([0x7F7FFFFF, 0x7F800000, 0xFF800000])])
        u = xb.astype(np.uint64)
        want = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2").tobytes()
        c_q = run_tool(exe, "q", BF16, xb.view(np.float32).tobytes())
        check("quantise BF16 = round to nearest even (%d values, %d ties)" % (len(xb), len(ties)), c_q == want)

        # K-quants: C quantises, numpy dequantises; error as the formats allow
        xk = rng.standard_normal(256 * 64).astype(np.float32)
        for gtype, limit in ((Q4_K, 0.09), (Q6_K, 0.025), (Q8_0, 0.007), (Q4_0, 0.11), (Q5_0, 0.055)):
            q = run_tool(exe, "q", gtype, xk.tobytes())
            y = DEQ[gtype](q)
            rel = float(np.sqrt(np.mean((y - xk) ** 2) / np.mean(xk ** 2)))
            check("quantise %s then numpy dequantise: rms error %.4f <= %.3f" % (NAME[gtype], rel, limit),
                  len(y) == len(xk) and rel <= limit)
        # K-quants byte for byte against the float32 port of GGML's reference quantisers
        xr = (rng.standard_normal(256 * 6) * np.repeat(np.float32([1, 0.01, 30, 1, 1, 1]), 256)).astype(np.float32)
        xr[256 * 3:256 * 3 + 256] = np.abs(xr[256 * 3:256 * 3 + 256]) + np.float32(0.5)   # all positive
        xr[256 * 4:256 * 4 + 128] = 0                                                    # half zero
        xr[256 * 5:256 * 6] = rng.uniform(-1, 1, 256).astype(np.float32)
        for gtype, ref in ((Q4_K, ref_quant_q4_k), (Q6_K, ref_quant_q6_k)):
            c_q = run_tool(exe, "q", gtype, xr.tobytes())
            r_q = ref(xr)
            detail = ""
            if c_q != r_q:
                a, b = np.frombuffer(c_q, np.uint8), np.frombuffer(r_q, np.uint8)
                bad = np.nonzero(a != b)[0] if len(a) == len(b) else [0]
                detail = "%d bytes differ, first at byte %d" % (len(bad), bad[0])
            check("quantise %s matches the float32 port of GGML's reference" % NAME[gtype], c_q == r_q, detail)

        # Q4_K stores 6-bit scales/mins: no field may exceed its range after packing
        q = np.frombuffer(run_tool(exe, "q", Q4_K, xk.tobytes()), np.uint8).reshape(-1, 144)
        sc, mn = q4_k_scales(q[:, 4:16])
        check("Q4_K packed scales and mins within 0..63, d and dmin finite",
              bool((sc <= 63).all() and (mn <= 63).all() and
                   np.isfinite(f16(q[:, 0:2].copy().view("<u2"))).all()))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
