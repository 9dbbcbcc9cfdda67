"""gguf_io.py - an independent GGUF v3 reader and writer in Python, for test oracles.

Written from the format description (REFERENCE.md section 1), not from steward's C code,
so that tests compare two implementations.  Values keep their GGUF type:
    writer.add(key, vtype, value)          scalars and strings
    writer.add_array(key, elem_vtype, values)
    writer.add_tensor(name, ggml_type, shape_ne, raw_bytes)   shape_ne[0] is contiguous
    writer.write(path)
    g = read(path) -> dict(kv={key: value}, types={key: vtype}, tensors={name: dict(...)})
"""
import struct

U8, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 = range(13)
_SCALAR = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i", F32: "<f",
           BOOL: "<?", U64: "<Q", I64: "<q", F64: "<d"}

# ggml types: (elements per block, bytes per block)
TYPE_F32, TYPE_F16, TYPE_Q4_0, TYPE_Q5_0, TYPE_Q8_0, TYPE_Q4_K, TYPE_Q6_K = 0, 1, 2, 6, 8, 12, 14
BLOCK = {TYPE_F32: (1, 4), TYPE_F16: (1, 2), TYPE_Q4_0: (32, 18), TYPE_Q5_0: (32, 22), TYPE_Q8_0: (32, 34),
         TYPE_Q4_K: (256, 144), TYPE_Q6_K: (256, 210)}
TYPE_BF16 = 30
BLOCK[TYPE_BF16] = (1, 2)


def nbytes(ggml_type, ne):
    n = 1
    for d in ne:
        n *= d
    per, size = BLOCK[ggml_type]
    if ne[0] % per:
        raise ValueError("row of %d elements is not a whole number of %d-element blocks" % (ne[0], per))
    return n // per * size


def _pack_str(s):
    b = s.encode() if isinstance(s, str) else bytes(s)
    return struct.pack("<Q", len(b)) + b


def _pack_value(vtype, v):
    if vtype == STRING:
        return _pack_str(v)
    return struct.pack(_SCALAR[vtype], v)


class Writer:
    def __init__(self, alignment=32):
        self.kv = []
        self.tensors = []
        self.alignment = alignment

    def add(self, key, vtype, value):
        self.kv.append((key, struct.pack("<I", vtype) + _pack_value(vtype, value)))

    def add_array(self, key, elem_vtype, values):
        body = struct.pack("<IIQ", ARRAY, elem_vtype, len(values))
        body += b"".join(_pack_value(elem_vtype, v) for v in values)
        self.kv.append((key, body))

    def add_tensor(self, name, ggml_type, ne, data):
        data = bytes(data)
        if len(data) != nbytes(ggml_type, ne):
            raise ValueError("tensor %s: %d bytes, want %d" % (name, len(data), nbytes(ggml_type, ne)))
        self.tensors.append((name, ggml_type, list(ne), data))

    def write(self, path):
        a = self.alignment
        out = bytearray(struct.pack("<IIQQ", 0x46554747, 3, len(self.tensors), len(self.kv)))
        for key, body in self.kv:
            out += _pack_str(key) + body
        offset = 0
        offsets = []
        for name, t, ne, data in self.tensors:
            offsets.append(offset)
            offset += (len(data) + a - 1) // a * a
        for (name, t, ne, data), off in zip(self.tensors, offsets):
            out += _pack_str(name) + struct.pack("<I", len(ne))
            out += b"".join(struct.pack("<Q", d) for d in ne)
            out += struct.pack("<IQ", t, off)
        out += b"\0" * ((-len(out)) % a)
        for (name, t, ne, data), off in zip(self.tensors, offsets):
            out += data + b"\0" * ((-len(data)) % a)
        with open(path, "wb") as f:
            f.write(out)


class _Reader:
    def __init__(self, buf):
        self.b = buf
        self.p = 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.b, self.p)
        self.p += struct.calcsize(fmt)
        return v[0]

    def string(self):
        n = self.take("<Q")
        s = bytes(self.b[self.p:self.p + n])
        if len(s) != n:
            raise ValueError("string past end of file")
        self.p += n
        try:
            return s.decode()
        except UnicodeDecodeError:
            return s

    def value(self, vtype):
        if vtype == STRING:
            return self.string()
        if vtype == ARRAY:
            et = self.take("<I")
            n = self.take("<Q")
            return [self.value(et) for _ in range(n)]
        return self.take(_SCALAR[vtype])


def read(path):
    with open(path, "rb") as f:
        buf = f.read()
    r = _Reader(buf)
    magic, version = r.take("<I"), r.take("<I")
    if magic != 0x46554747 or version != 3:
        raise ValueError("not a GGUF v3 file")
    n_tensors, n_kv = r.take("<Q"), r.take("<Q")
    kv, types = {}, {}
    for _ in range(n_kv):
        key = r.string()
        vt = r.take("<I")
        types[key] = vt
        kv[key] = r.value(vt)
    infos = []
    for _ in range(n_tensors):
        name = r.string()
        nd = r.take("<I")
        ne = [r.take("<Q") for _ in range(nd)]
        t = r.take("<I")
        off = r.take("<Q")
        infos.append((name, ne, t, off))
    a = kv.get("general.alignment", 32)
    start = (r.p + a - 1) // a * a
    tensors = {}
    for name, ne, t, off in infos:
        n = nbytes(t, ne)
        tensors[name] = dict(type=t, ne=ne, data=buf[start + off:start + off + n])
    return dict(kv=kv, types=types, tensors=tensors)
