"""ref_model.py - a numpy reference of the llama/qwen2 forward pass, for parity tests.

Written from the architecture description, not from steward's C code:
  x = token_embd[tok]
  per block: h = x + Wo·attn(rope(Wq·n + bq), rope(Wk·n + bk), Wv·n + bv), n = rmsnorm(x)·attn_norm
             x = h + Wdown·(silu(Wgate·m) * (Wup·m)),                       m = rmsnorm(h)·ffn_norm
  logits = output · (rmsnorm(x)·output_norm)        (output = token_embd when absent)
RoPE follows llama.cpp's GGUF convention: `llama` rotates adjacent pairs (2i, 2i+1) (its
converter permutes the Q/K rows of Hugging Face checkpoints), `qwen2` rotates the pairs
(i, i + n_rot/2) ("NEOX"); the angle of pair i at position p is p * base^(-2i/n_rot),
divided by <arch>.rope.scaling.factor (linear scaling, unless the type is "none") and by
element i of the rope_freqs.weight tensor when the file has one (Llama 3.1's scaling).
The head size is <arch>.attention.key_length when given, else n_embd / n_head.
Attention is causal, grouped: query head h reads KV head h // (n_head / n_head_kv).
Weights are dequantised here with this file's own decoders of the GGML block formats.
By default activations stay in float64. With act_quant=True the input of every matrix
product is first rounded the way GGML prepares it for a quantised weight (its
"vec_dot_type"): Q8_0 blocks of 32 (f16 scale amax/127) for Q8_0/Q4_0 weights, Q8_K blocks
of 256 (f32 scale max/-127, by the signed value of largest magnitude) for Q4_K/Q6_K;
that makes the reference compute what an engine following GGML computes, so the
comparison can be tight.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf_io as G  # noqa: E402


def _f16(b):
    return np.frombuffer(b, dtype="<f2").astype(np.float64)


def dequantize(ggml_type, data, n):
    """The n values stored in data (bytes) as float64."""
    raw = np.frombuffer(bytes(data), dtype=np.uint8)
    if ggml_type == G.TYPE_F32:
        return np.frombuffer(bytes(data), dtype="<f4")[:n].astype(np.float64)
    if ggml_type == G.TYPE_F16:
        return np.frombuffer(bytes(data), dtype="<f2")[:n].astype(np.float64)
    if ggml_type == G.TYPE_Q8_0:  # f16 d, int8 q[32]
        blk = raw.reshape(-1, 34)
        d = _f16(blk[:, :2].tobytes())[:, None]
        q = blk[:, 2:].view(np.int8).astype(np.float64)
        return (d * q).reshape(-1)[:n]
    if ggml_type == G.TYPE_Q4_0:  # f16 d, u8 qs[16]: low nibbles = 0..15, high = 16..31
        blk = raw.reshape(-1, 18)
        d = _f16(blk[:, :2].tobytes())[:, None]
        qs = blk[:, 2:]
        q = np.concatenate([qs & 15, qs >> 4], axis=1).astype(np.float64) - 8
        return (d * q).reshape(-1)[:n]
    if ggml_type == G.TYPE_Q5_0:  # f16 d, u32 qh (bit j = 5th bit of element j), u8 qs[16]
        blk = raw.reshape(-1, 22)
        d = _f16(blk[:, :2].tobytes())[:, None]
        qh = blk[:, 2:6].copy().view("<u4").astype(np.int64)
        qs = blk[:, 6:].astype(np.int64)
        q = np.concatenate([qs & 15, qs >> 4], axis=1) + 16 * ((qh >> np.arange(32)) & 1) - 16
        return (d * q.astype(np.float64)).reshape(-1)[:n]
    if ggml_type == G.TYPE_Q4_K:  # f16 d, f16 dmin, u8 scales[12], u8 qs[128]
        blk = raw.reshape(-1, 144)
        d = _f16(blk[:, 0:2].tobytes())[:, None]
        dmin = _f16(blk[:, 2:4].tobytes())[:, None]
        s = blk[:, 4:16].astype(np.int64)
        sc = np.zeros((blk.shape[0], 8), np.int64)
        mn = np.zeros((blk.shape[0], 8), np.int64)
        for j in range(4):  # 6-bit scale and min of each of the 8 sub-blocks of 32
            sc[:, j] = s[:, j] & 63
            mn[:, j] = s[:, j + 4] & 63
            sc[:, j + 4] = (s[:, j + 8] & 15) | ((s[:, j] >> 6) << 4)
            mn[:, j + 4] = (s[:, j + 8] >> 4) | ((s[:, j + 4] >> 6) << 4)
        qs = blk[:, 16:].astype(np.int64).reshape(-1, 4, 32)  # 4 chunks of 64 values
        q = np.concatenate([qs & 15, qs >> 4], axis=2).reshape(-1, 8, 32)  # sub-block 2c, 2c+1
        y = d[:, :, None] * sc[:, :, None] * q - dmin[:, :, None] * mn[:, :, None]
        return y.reshape(-1)[:n]
    if ggml_type == G.TYPE_Q6_K:  # u8 ql[128], u8 qh[64], i8 scales[16], f16 d
        blk = raw.reshape(-1, 210)
        ql = blk[:, :128].astype(np.int64).reshape(-1, 2, 64)
        qh = blk[:, 128:192].astype(np.int64).reshape(-1, 2, 32)
        sc = blk[:, 192:208].view(np.int8).astype(np.float64).reshape(-1, 2, 8)
        d = _f16(blk[:, 208:210].tobytes())[:, None]
        y = np.zeros((blk.shape[0], 2, 128))
        for half in range(2):
            lo, hi = ql[:, half], qh[:, half]
            q1 = (lo[:, :32] & 15) | (((hi >> 0) & 3) << 4)
            q2 = (lo[:, 32:] & 15) | (((hi >> 2) & 3) << 4)
            q3 = (lo[:, :32] >> 4) | (((hi >> 4) & 3) << 4)
            q4 = (lo[:, 32:] >> 4) | (((hi >> 6) & 3) << 4)
            for k, qq in enumerate((q1, q2, q3, q4)):
                # value l of quarter k uses scale 2k + l // 16
                s = np.repeat(sc[:, half, 2 * k:2 * k + 2], 16, axis=1)
                y[:, half, 32 * k:32 * k + 32] = s * (qq - 32)
        return (d * y.reshape(-1, 256)).reshape(-1)[:n]
    raise ValueError("unsupported ggml type %d" % ggml_type)


def _round_away(v):
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


def act_quantize(x, wtype):
    """x [..., n] as the 8-bit activation blocks GGML pairs with weights of wtype."""
    if wtype in (G.TYPE_Q8_0, G.TYPE_Q4_0, G.TYPE_Q5_0):
        b = x.astype(np.float32).reshape(-1, 32)
        amax = np.abs(b).max(axis=1, keepdims=True)
        d = amax / np.float32(127)
        idd = np.where(d > 0, np.float32(1) / np.where(d > 0, d, 1), 0).astype(np.float32)
        q = _round_away(b * idd)
        d16 = d.astype(np.float16).astype(np.float64)
        return (q * d16).reshape(x.shape)
    if wtype in (G.TYPE_Q4_K, G.TYPE_Q6_K):
        b = x.astype(np.float32).reshape(-1, 256)
        idx = np.abs(b).argmax(axis=1)
        mx = b[np.arange(b.shape[0]), idx][:, None]
        iscale = np.where(mx != 0, np.float32(-127) / np.where(mx != 0, mx, 1), 0).astype(np.float32)
        q = np.minimum(127, _round_away(b * iscale))
        d = np.where(iscale != 0, np.float32(1) / np.where(iscale != 0, iscale, 1), 0).astype(np.float32)
        return (q * d.astype(np.float64)).reshape(x.shape)
    return x


class Model:
    def __init__(self, path, act_quant=False):
        g = G.read(path)
        kv = g["kv"]
        self.arch = a = kv["general.architecture"]
        self.n_embd = kv[a + ".embedding_length"]
        self.n_layer = kv[a + ".block_count"]
        self.n_head = kv[a + ".attention.head_count"]
        self.n_head_kv = kv.get(a + ".attention.head_count_kv", self.n_head)
        self.hd = kv.get(a + ".attention.key_length", self.n_embd // self.n_head)
        self.n_rot = kv.get(a + ".rope.dimension_count", self.hd)
        self.eps = kv[a + ".attention.layer_norm_rms_epsilon"]
        self.base = kv.get(a + ".rope.freq_base", 10000.0)
        linear = kv.get(a + ".rope.scaling.type", "linear") == "linear"
        self.rope_scale = kv.get(a + ".rope.scaling.factor", 1.0) if linear else 1.0
        self.neox = a == "qwen2"
        self.act_quant = act_quant
        self.t, self.types = {}, {}
        for name, t in g["tensors"].items():
            self.types[name] = t["type"]
            n = int(np.prod(t["ne"]))
            v = dequantize(t["type"], t["data"], n)
            self.t[name] = v.reshape(list(reversed(t["ne"]))) if len(t["ne"]) > 1 else v
        self.out_name = "output.weight" if "output.weight" in self.t else "token_embd.weight"
        self.n_vocab = self.t["token_embd.weight"].shape[0]

    def _mm(self, x, name):
        """x @ W.T for the matrix `name` (W is [rows, cols])."""
        if self.act_quant:
            x = act_quantize(x, self.types[name])
        return x @ self.t[name].T

    def _norm(self, x, w):
        return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + self.eps) * w

    def _rope(self, x, pos):
        """x: [T, heads, hd]; rotates the first n_rot dims of each head."""
        half = self.n_rot // 2
        theta = pos[:, None] * self.base ** (-2.0 * np.arange(half) / self.n_rot)  # [T, half]
        theta = theta / self.rope_scale / self.t.get("rope_freqs.weight", 1.0)
        c, s = np.cos(theta)[:, None, :], np.sin(theta)[:, None, :]
        y = x.copy()
        if self.neox:
            a, b = x[..., :half], x[..., half:self.n_rot]
            y[..., :half], y[..., half:self.n_rot] = a * c - b * s, a * s + b * c
        else:
            a, b = x[..., 0:self.n_rot:2], x[..., 1:self.n_rot:2]
            y[..., 0:self.n_rot:2], y[..., 1:self.n_rot:2] = a * c - b * s, a * s + b * c
        return y

    def logits(self, tokens):
        """Logits [T, n_vocab] of every position of the sequence (positions 0..T-1)."""
        T = len(tokens)
        pos = np.arange(T, dtype=np.float64)
        x = self.t["token_embd.weight"][np.array(tokens)]
        mask = np.triu(np.full((T, T), -np.inf), 1)
        group = self.n_head // self.n_head_kv
        for l in range(self.n_layer):
            p = "blk.%d." % l
            n = self._norm(x, self.t[p + "attn_norm.weight"])
            q = self._mm(n, p + "attn_q.weight") + self.t.get(p + "attn_q.bias", 0)
            k = self._mm(n, p + "attn_k.weight") + self.t.get(p + "attn_k.bias", 0)
            v = self._mm(n, p + "attn_v.weight") + self.t.get(p + "attn_v.bias", 0)
            q = self._rope(q.reshape(T, self.n_head, self.hd), pos)
            k = self._rope(k.reshape(T, self.n_head_kv, self.hd), pos)
            v = v.reshape(T, self.n_head_kv, self.hd)
            out = np.zeros((T, self.n_head, self.hd))
            for h in range(self.n_head):
                g = h // group
                sc = q[:, h] @ k[:, g].T / np.sqrt(self.hd) + mask
                sc = np.exp(sc - sc.max(axis=1, keepdims=True))
                sc /= sc.sum(axis=1, keepdims=True)
                out[:, h] = sc @ v[:, g]
            x = x + self._mm(out.reshape(T, -1), p + "attn_output.weight")
            m = self._norm(x, self.t[p + "ffn_norm.weight"])
            gate = self._mm(m, p + "ffn_gate.weight")
            up = self._mm(m, p + "ffn_up.weight")
            x = x + self._mm(gate / (1 + np.exp(-gate)) * up, p + "ffn_down.weight")
        return self._mm(self._norm(x, self.t["output_norm.weight"]), self.out_name)

    def greedy(self, prompt, n):
        toks = list(prompt)
        for _ in range(n):
            toks.append(int(np.argmax(self.logits(toks)[-1])))
        return toks[len(prompt):]
