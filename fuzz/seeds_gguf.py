"""seeds_gguf.py - writes the seed files of fuzz/corpus/fuzz_gguf with the independent Python
writer (tests/oracle/gguf_io.py): python3 fuzz/seeds_gguf.py (from any directory)."""
import os
import struct
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "oracle"))
import gguf_io as G
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_gguf")
def save(name, w):
    p = os.path.join(out, name); w.write(p); assert os.path.getsize(p) < 4096, name
w = G.Writer()
w.add("general.architecture", G.STRING, "llama")
w.add("llama.block_count", G.U32, 1)
w.add("llama.attention.layer_norm_rms_epsilon", G.F32, 1e-5)
w.add("tokenizer.ggml.add_bos_token", G.BOOL, True)
w.add_array("tokenizer.ggml.tokens", G.STRING, ["<unk>", "<s>", "</s>", "\u2581a", "<0x0A>"])
w.add_array("tokenizer.ggml.scores", G.F32, [0.0, -1.0, -2.0, -3.0, -4.0])
w.add_array("tokenizer.ggml.token_type", G.I32, [2, 3, 3, 1, 6])
w.add_tensor("token_embd.weight", G.TYPE_F32, [4, 5], bytes(range(80)))
w.add_tensor("output_norm.weight", G.TYPE_F16, [4], bytes(8))
save("llama_tiny.gguf", w)
w = G.Writer(alignment=64)
w.add("general.alignment", G.U32, 64)
for i, vt in enumerate([G.U8, G.I8, G.U16, G.I16, G.U64, G.I64, G.F64]):
    w.add("v.%d" % i, vt, 1)
w.kv.append(("v.nested", struct.pack("<IIQ", G.ARRAY, G.ARRAY, 2) + struct.pack("<IQ", G.U8, 2) + b"\1\2" + struct.pack("<IQ", G.STRING, 1) + struct.pack("<Q", 1) + b"x"))
w.add_tensor("q8", G.TYPE_Q8_0, [32], bytes(34))
w.add_tensor("q4", G.TYPE_Q4_0, [32], bytes(18))
save("types_align64.gguf", w)
w = G.Writer()
w.add_tensor("k4", G.TYPE_Q4_K, [256], bytes(144))
w.add_tensor("k6", G.TYPE_Q6_K, [256, 1, 1, 1], bytes(210))
save("kquants.gguf", w)
w = G.Writer()
save("empty.gguf", w)
