"""make_model.py - writes small random-weight GGUF models (F32) for the forward-pass tests.

    python3 make_model.py OUT.gguf [--arch llama|qwen2] [--tied] [--seed N]

Shapes: 2 blocks, n_embd 256 (a multiple of 256 so that Q4_K/Q6_K apply), 4 heads of 64,
2 KV heads (grouped-query attention), n_ff 512, context 64, a ~300-token byte-level BPE
vocabulary (tokenizer.ggml.model "gpt2") learned from a short text so that the file loads.
qwen2 adds Q/K/V biases; --tied leaves out output.weight.  Written from the architecture
description with tests/oracle/gguf_io.py, independently of steward's C code.
"""
import argparse
import collections
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf_io as G  # noqa: E402

N_EMBD, N_HEAD, N_HEAD_KV, N_FF, N_LAYER, N_CTX = 256, 4, 2, 512, 2, 64
TEXT = ("the quick brown fox jumps over the lazy dog. the dog sleeps in the sun and the fox "
        "runs in the field. there is the other thing that the fox and the dog share: the sun.")


def byte_chars():
    """GPT-2's printable stand-ins for the 256 byte values."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    out, extra = {}, 0
    for b in range(256):
        if b in keep:
            out[b] = chr(b)
        else:
            out[b] = chr(256 + extra)
            extra += 1
    return out


def vocab(n_merges=41):
    bc = byte_chars()
    tokens = [bc[b] for b in range(256)]
    words = [[bc[b] for b in (w if i == 0 else " " + w).encode()] for i, w in enumerate(TEXT.split(" "))]
    merges = []
    while len(merges) < n_merges:
        pairs = collections.Counter()
        for w in words:
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] += 1
        if not pairs:
            break
        (a, b), n = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))
        if n < 2:
            break
        merges.append(a + " " + b)
        tokens.append(a + b)
        for w in words:
            i = 0
            while i < len(w) - 1:
                if w[i] == a and w[i + 1] == b:
                    w[i:i + 2] = [a + b]
                i += 1
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    types = [1] * len(tokens) + [3] * len(specials)
    return tokens + specials, types, merges


def make(path, arch="llama", tied=False, seed=0, edit=None, n_ff=N_FF, head_dim=None):
    """Writes the model; edit(writer), when given, may change writer.kv / writer.tensors
    (lists of (key, body) and (name, type, ne, data)) before the file is written.
    head_dim: a head size other than n_embd / n_head (written as attention.key_length)."""
    rng = np.random.default_rng(seed)
    tokens, types, merges = vocab()
    n_vocab = len(tokens)
    hd = head_dim or N_EMBD // N_HEAD
    w = G.Writer()
    w.add("general.architecture", G.STRING, arch)
    w.add("general.name", G.STRING, "oracle-%s%s" % (arch, "-tied" if tied else ""))
    w.add("general.file_type", G.U32, 0)
    w.add(arch + ".context_length", G.U32, N_CTX)
    w.add(arch + ".embedding_length", G.U32, N_EMBD)
    w.add(arch + ".block_count", G.U32, N_LAYER)
    w.add(arch + ".feed_forward_length", G.U32, n_ff)
    w.add(arch + ".attention.head_count", G.U32, N_HEAD)
    w.add(arch + ".attention.head_count_kv", G.U32, N_HEAD_KV)
    if head_dim:
        w.add(arch + ".attention.key_length", G.U32, head_dim)
        w.add(arch + ".attention.value_length", G.U32, head_dim)
    if arch == "llama":
        w.add(arch + ".rope.dimension_count", G.U32, hd)  # freq_base left out: default 10000
        w.add(arch + ".attention.layer_norm_rms_epsilon", G.F32, 1e-5)
    else:
        w.add(arch + ".rope.freq_base", G.F32, 1000000.0)
        w.add(arch + ".attention.layer_norm_rms_epsilon", G.F32, 1e-6)
    w.add("tokenizer.ggml.model", G.STRING, "gpt2")
    w.add("tokenizer.ggml.pre", G.STRING, "gpt-2")  # llama.cpp's name, so the files load there too
    w.add_array("tokenizer.ggml.tokens", G.STRING, tokens)
    w.add_array("tokenizer.ggml.token_type", G.I32, types)
    w.add_array("tokenizer.ggml.merges", G.STRING, merges)
    w.add("tokenizer.ggml.bos_token_id", G.U32, n_vocab - 3)
    w.add("tokenizer.ggml.eos_token_id", G.U32, n_vocab - 1)
    w.add("tokenizer.ggml.add_bos_token", G.BOOL, False)

    def mat(name, rows, cols, scale=1.0):
        a = (rng.standard_normal((rows, cols)) * scale / np.sqrt(cols)).astype(np.float32)
        w.add_tensor(name, G.TYPE_F32, [cols, rows], a.tobytes())

    def vec(name, n, base, scale):
        a = (base + scale * rng.standard_normal(n)).astype(np.float32)
        w.add_tensor(name, G.TYPE_F32, [n], a.tobytes())

    mat("token_embd.weight", n_vocab, N_EMBD, 4.0)
    for l in range(N_LAYER):
        p = "blk.%d." % l
        vec(p + "attn_norm.weight", N_EMBD, 1.0, 0.1)
        mat(p + "attn_q.weight", N_HEAD * hd, N_EMBD)
        mat(p + "attn_k.weight", N_HEAD_KV * hd, N_EMBD)
        mat(p + "attn_v.weight", N_HEAD_KV * hd, N_EMBD)
        if arch == "qwen2":
            vec(p + "attn_q.bias", N_HEAD * hd, 0.0, 0.2)
            vec(p + "attn_k.bias", N_HEAD_KV * hd, 0.0, 0.2)
            vec(p + "attn_v.bias", N_HEAD_KV * hd, 0.0, 0.2)
        mat(p + "attn_output.weight", N_EMBD, N_HEAD * hd)
        vec(p + "ffn_norm.weight", N_EMBD, 1.0, 0.1)
        mat(p + "ffn_gate.weight", n_ff, N_EMBD)
        mat(p + "ffn_up.weight", n_ff, N_EMBD)
        mat(p + "ffn_down.weight", N_EMBD, n_ff)
    vec("output_norm.weight", N_EMBD, 1.0, 0.1)
    if not tied:
        mat("output.weight", n_vocab, N_EMBD, 4.0)
    if edit:
        edit(w)
    w.write(path)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--arch", default="llama", choices=["llama", "qwen2"])
    ap.add_argument("--tied", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    make(a.out, a.arch, a.tied, a.seed)
