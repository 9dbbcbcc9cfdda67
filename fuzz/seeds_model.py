"""seeds_model.py - writes the seed files of fuzz/corpus/fuzz_model: tiny complete models
(a few KB) written with the independent Python writer (tests/oracle/gguf_io.py), so that
the fuzzer starts from inputs that pass every check and reach the forward pass:
python3 fuzz/seeds_model.py (from any directory)."""
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "oracle"))
import gguf_io as G  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_model")
TOKENS = ["<unk>", "<s>", "</s>", "\u2581a", "\u2581b", "c", "<0x0A>", "<0x41>"]
TYPES = [2, 3, 3, 1, 1, 1, 6, 6]


def floats(n, k):
    return struct.pack("<%df" % n, *[((i * 7 + k * 13) % 17 - 8) / 16.0 for i in range(n)])


def model(name, arch, n_embd, n_head, n_kv, n_ff, n_layer, tied, bias, out=OUT):
    w = G.Writer()
    hd = n_embd // n_head
    w.add("general.architecture", G.STRING, arch)
    for key, v in (("context_length", 8), ("embedding_length", n_embd), ("block_count", n_layer),
                   ("feed_forward_length", n_ff), ("attention.head_count", n_head),
                   ("attention.head_count_kv", n_kv)):
        w.add(arch + "." + key, G.U32, v)
    w.add(arch + ".attention.layer_norm_rms_epsilon", G.F32, 1e-5)
    w.add("tokenizer.ggml.model", G.STRING, "llama")
    w.add_array("tokenizer.ggml.tokens", G.STRING, TOKENS)
    w.add_array("tokenizer.ggml.scores", G.F32, [-float(i) for i in range(len(TOKENS))])
    w.add_array("tokenizer.ggml.token_type", G.I32, TYPES)
    w.add("tokenizer.ggml.bos_token_id", G.U32, 1)
    w.add("tokenizer.ggml.eos_token_id", G.U32, 2)
    w.add("tokenizer.ggml.unknown_token_id", G.U32, 0)
    k = [0]

    def t(tname, ne):
        k[0] += 1
        n = 1
        for d in ne:
            n *= d
        w.add_tensor(tname, G.TYPE_F32, ne, floats(n, k[0]))
    V = len(TOKENS)
    t("token_embd.weight", [n_embd, V])
    for l in range(n_layer):
        p = "blk.%d." % l
        t(p + "attn_norm.weight", [n_embd])
        t(p + "attn_q.weight", [n_embd, n_head * hd])
        t(p + "attn_k.weight", [n_embd, n_kv * hd])
        t(p + "attn_v.weight", [n_embd, n_kv * hd])
        if bias:
            t(p + "attn_q.bias", [n_head * hd])
            t(p + "attn_k.bias", [n_kv * hd])
            t(p + "attn_v.bias", [n_kv * hd])
        t(p + "attn_output.weight", [n_head * hd, n_embd])
        t(p + "ffn_norm.weight", [n_embd])
        t(p + "ffn_gate.weight", [n_embd, n_ff])
        t(p + "ffn_up.weight", [n_embd, n_ff])
        t(p + "ffn_down.weight", [n_ff, n_embd])
    t("output_norm.weight", [n_embd])
    if not tied:
        t("output.weight", [n_embd, V])
    path = os.path.join(out, name)
    w.write(path)
    assert out != OUT or os.path.getsize(path) < 8192, name
    return path


os.makedirs(OUT, exist_ok=True)
model("llama_tied", "llama", 8, 2, 1, 12, 1, True, False)
model("llama_2layers", "llama", 8, 4, 2, 8, 2, False, False)
model("qwen2_bias", "qwen2", 8, 2, 2, 8, 1, True, True)
# 32 wide, quantised to Q8_0 and Q4_0 by steward itself (./steward, built by `make`).
steward = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "steward")
if os.path.exists(steward):
    with tempfile.TemporaryDirectory() as tmp:
        src = model("llama32", "llama", 32, 2, 1, 32, 1, True, False, out=tmp)
        for q in ("Q8_0", "Q4_0"):
            subprocess.run([steward, "model", "quantize", src, os.path.join(OUT, "llama32_" + q.lower()), q],
                           check=True)
else:
    print("seeds_model.py: no ./steward; quantised seeds not written", file=sys.stderr)
