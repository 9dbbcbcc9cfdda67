"""test_gguf.py - steward's C GGUF reader and writer against the independent Python
reader/writer (tests/oracle/gguf_io.py), in both directions, on random files.

Uses the unit-test binary's tool modes (build/asan/tests/test_gguf --dump/--copy/
--write-sample), found next to $STEWARD_BIN. Prints one TAP line per case."""
import hashlib
import json
import math
import os
import random
import struct
import subprocess
import sys
import tempfile

ROOT = os.environ.get("STEWARD_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "oracle"))
import gguf_io as G  # noqa: E402

BIN = os.path.join(os.path.dirname(os.environ.get("STEWARD_BIN", os.path.join(ROOT, "build/asan/steward"))),
                   "tests", "test_gguf")
failures = 0


def check(cond, *why):
    """An assert that PYTHONOPTIMIZE cannot turn off: raises AssertionError(why)."""
    if not cond:
        raise AssertionError(*why)


def case(name, fn):
    global failures
    try:
        fn()
        print("ok - " + name)
    except Exception as e:  # noqa: BLE001 - report any failure as a failed case
        failures += 1
        print("not ok - %s: %r" % (name, e))
    sys.stdout.flush()


def tool(*args):
    r = subprocess.run([BIN] + list(args), capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError("test_gguf %s failed: %s" % (" ".join(args), r.stderr.strip()))
    return r.stdout


INT_RANGE = {G.U8: (0, 255), G.I8: (-128, 127), G.U16: (0, 65535), G.I16: (-32768, 32767),
             G.U32: (0, 2**32 - 1), G.I32: (-2**31, 2**31 - 1), G.U64: (0, 2**64 - 1),
             G.I64: (-2**63, 2**63 - 1)}


def rand_value(rng, vt):
    if vt in INT_RANGE:
        lo, hi = INT_RANGE[vt]
        return rng.choice([lo, hi, 0, rng.randint(lo, hi)])
    if vt == G.BOOL:
        return rng.random() < 0.5
    if vt == G.F32:
        return struct.unpack("<f", struct.pack("<f", rng.choice([0.0, -1.5, 1e-5, 3.4e38, rng.uniform(-1e6, 1e6)])))[0]
    if vt == G.F64:
        return rng.choice([0.0, -2.25, 1e-300, float("inf"), rng.uniform(-1e9, 1e9)])
    if vt == G.STRING:
        return "".join(rng.choice(["a", "z", " ", "\u00e9", "\u4e2d", "\U0001F600", "\n", "\u2581"])
                       for _ in range(rng.randint(0, 12)))
    raise ValueError(vt)


def pack_nested(et, values):
    """File bytes of the elements of an array of arrays: each is (elem type, list)."""
    out = b""
    for inner_t, inner in values:
        out += struct.pack("<IQ", inner_t, len(inner))
        out += b"".join(G._pack_value(inner_t, v) for v in inner)
    return out


def make_spec(rng):
    """A random file: kvs of every type, tensors of every supported type."""
    kvs = []
    types = [G.U8, G.I8, G.U16, G.I16, G.U32, G.I32, G.F32, G.BOOL, G.STRING, G.U64, G.I64, G.F64]
    for i, vt in enumerate(types):
        kvs.append(("s.%d" % i, vt, rand_value(rng, vt)))
    for i, et in enumerate(types):
        vals = [rand_value(rng, et) for _ in range(rng.randint(0, 20))]
        kvs.append(("arr.%d" % i, G.ARRAY, (et, vals)))
    nested = [(G.U8, [1, 2]), (G.STRING, ["x", "\u4e2d"]), (G.U32, [])]
    kvs.append(("arr.nested", G.ARRAY, (G.ARRAY, nested)))
    align = rng.choice([None, 8, 32, 64, 256])
    if align:
        kvs.append(("general.alignment", G.U32, align))
    rng.shuffle(kvs)
    tensors = []
    for i in range(rng.randint(0, 8)):
        t = rng.choice(list(G.BLOCK))
        per, _ = G.BLOCK[t]
        nd = rng.randint(1, 4)
        ne = [per * rng.randint(1, 3)] + [rng.randint(1, 3) for _ in range(nd - 1)]
        n = G.nbytes(t, ne)
        tensors.append(("t%d.%s" % (i, "w" * rng.randint(0, 40)), t, ne, bytes(rng.getrandbits(8) for _ in range(n))))
    return dict(kvs=kvs, tensors=tensors, align=align or 32)


def write_py(spec, path):
    w = G.Writer(alignment=spec["align"])
    for key, vt, v in spec["kvs"]:
        if vt != G.ARRAY:
            w.add(key, vt, v)
        elif v[0] == G.ARRAY:
            w.kv.append((key, struct.pack("<IIQ", G.ARRAY, G.ARRAY, len(v[1])) + pack_nested(G.ARRAY, v[1])))
        else:
            w.add_array(key, v[0], v[1])
    for name, t, ne, data in spec["tensors"]:
        w.add_tensor(name, t, ne, data)
    w.write(path)


def same_float(a, b):
    return a == b or (math.isnan(a) and math.isnan(b))


def check_value(vt, want, got):
    """Compares a Python value with the C dump's JSON form (see test_gguf.c)."""
    if vt == G.STRING:
        check(got == want.encode().hex(), (want, got))
    elif vt in (G.F32, G.F64):
        check(same_float(float(got), want), (want, got))
    elif vt == G.BOOL:
        check(got is bool(want), (want, got))
    else:
        check(int(got) == want, (want, got))


def check_dump(spec, d):
    """The C reader's view (d) must equal what the spec says."""
    check(d["version"] == 3 and d["alignment"] == spec["align"], (d["version"], d["alignment"]))
    check(d["data_offset"] % spec["align"] == 0)
    check(len(d["kv"]) == len(spec["kvs"]))
    for (key, vt, v), kv in zip(spec["kvs"], d["kv"]):
        check(kv["key"] == key.encode().hex() and kv["type"] == vt, (key, kv["key"], kv["type"]))
        if vt != G.ARRAY:
            check_value(vt, v, kv["value"])
            continue
        et, vals = v
        check(kv["arr_type"] == et)
        if et == G.ARRAY:
            check(kv["value"]["raw"] == pack_nested(et, vals).hex())
            continue
        check(len(kv["value"]) == len(vals))
        for a, b in zip(vals, kv["value"]):
            check_value(et, a, b)
    check([t["name"] for t in d["tensors"]] == [t[0] for t in spec["tensors"]])
    for (name, t, ne, data), ct in zip(spec["tensors"], d["tensors"]):
        check(ct["type"] == t and ct["ne"] == ne and ct["nbytes"] == len(data), (name, ct))
        check(ct["offset"] % spec["align"] == 0)
        check(ct["sha256"] == hashlib.sha256(data).hexdigest(), name)


def check_oracle(spec, path):
    """The Python reader's view of a file the C writer wrote."""
    g = G.read(path)
    check(list(g["kv"]) == [k for k, _, _ in spec["kvs"]])
    for key, vt, v in spec["kvs"]:
        check(g["types"][key] == vt, key)
        got = g["kv"][key]
        if vt == G.ARRAY:
            et, vals = v
            if et == G.ARRAY:
                check(got == [inner for _, inner in vals], (key, got))
            elif et in (G.F32, G.F64):
                check(all(same_float(a, b) for a, b in zip(vals, got)) and len(vals) == len(got))
            else:
                check(got == vals, (key, got, vals))
        elif vt in (G.F32, G.F64):
            check(same_float(got, v), (key, got, v))
        else:
            check(got == v, (key, got, v))
    check(list(g["tensors"]) == [t[0] for t in spec["tensors"]])
    for name, t, ne, data in spec["tensors"]:
        gt = g["tensors"][name]
        check(gt["type"] == t and gt["ne"] == ne and gt["data"] == data, name)


def test_python_to_c_to_python():
    rng = random.Random(20261128)
    with tempfile.TemporaryDirectory() as d:
        for i in range(25):
            spec = make_spec(rng)
            a, b = os.path.join(d, "a.gguf"), os.path.join(d, "b.gguf")
            write_py(spec, a)
            check_dump(spec, json.loads(tool("--dump", a)))   # Python writer -> C reader
            tool("--copy", a, b)                               # C reader -> C writer
            check_oracle(spec, b)                              # C writer -> Python reader
            check_dump(spec, json.loads(tool("--dump", b)))   # C writer -> C reader
            with open(a, "rb") as fa, open(b, "rb") as fb:    # both writers agree byte for byte
                check(fa.read() == fb.read(), "C and Python writers differ on file %d" % i)
            check(not os.path.exists(b + ".tmp"))


def test_c_sample_in_python():
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "s.gguf")
        tool("--write-sample", p)
        g = G.read(p)
        kv = g["kv"]
        check(list(kv) == ["general.architecture", "llama.block_count", "s.i32", "s.u64", "s.f32", "s.bool",
                            "tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type",
                            "s.empty"], list(kv))
        check(kv["general.architecture"] == "llama" and kv["llama.block_count"] == 2)
        check(g["types"]["llama.block_count"] == G.U32 and g["types"]["s.i32"] == G.I32)
        check(kv["s.i32"] == -12345 and kv["s.u64"] == 0xfedcba9876543210)
        check(kv["s.f32"] == struct.unpack("<f", struct.pack("<f", 1e-5))[0] and kv["s.bool"] is True)
        check(kv["tokenizer.ggml.tokens"] == ["<s>", "h\u00e9", "\u4e2d", "a\0b"])
        check(kv["tokenizer.ggml.scores"] == [0.0, -1.5, 3.25])
        check(kv["tokenizer.ggml.token_type"] == [3, 1, -1] and kv["s.empty"] == [])
        t = g["tensors"]
        check(struct.unpack("<6f", t["token_embd.weight"]["data"]) == (1, 2, 3, 4, 5, 6))
        check(t["token_embd.weight"]["ne"] == [3, 2])
        check(t["blk.0.attn_q.weight"]["data"] == bytes(i * 7 % 256 for i in range(68)))
        check(t["output_norm.weight"]["data"] == b"\x00\x3c" and t["output_norm.weight"]["type"] == G.TYPE_F16)
        with open(p, "rb") as f:
            check(len(f.read()) % 32 == 0)


def test_c_rejects_corrupt_python_files():
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as d:
        spec = make_spec(rng)
        while not spec["tensors"]:
            spec = make_spec(rng)
        p = os.path.join(d, "a.gguf")
        write_py(spec, p)
        with open(p, "rb") as f:
            buf = f.read()
        full = json.loads(tool("--dump", p))
        end = full["data_offset"] + max(t["offset"] + t["nbytes"] for t in full["tensors"])
        q = os.path.join(d, "cut.gguf")
        # any cut before the end of the last tensor's data fails (a cut in the final padding would not)
        for n in sorted(set([1, 7, 23, 24, end // 2, end - 1] + rng.sample(range(1, end), 20))):
            with open(q, "wb") as f:
                f.write(buf[:n])
            r = subprocess.run([BIN, "--dump", q], capture_output=True, text=True, timeout=60)
            check(r.returncode == 1 and q in r.stderr and "Sanitizer" not in r.stderr, (n, r.stderr))


case("python_to_c_to_python", test_python_to_c_to_python)
case("c_sample_in_python", test_c_sample_in_python)
case("c_rejects_corrupt_python_files", test_c_rejects_corrupt_python_files)
sys.exit(1 if failures else 0)
