#!/usr/bin/env python3
"""make_tok_gguf_small.py - small GGUF tokenizers for tests of sw_tokenizer_from_gguf:
a SentencePiece (`llama`) vocabulary with scores and byte tokens, and broken files.

    python3 tests/oracle/make_tok_gguf_small.py OUT_DIR
      spm.gguf            <unk> <s> </s> <0x00>..<0xFF> then pieces with scores
      bad_no_model.gguf   no tokenizer.ggml.model
      bad_types.gguf      token_type with the wrong count
      bad_no_merges.gguf  model gpt2 without merges
      bad_pre.gguf        an unknown pre-tokenizer
Ids of the SentencePiece pieces start at 259, in the order of PIECES."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf_io as G  # noqa: E402

SP = "\u2581"
PIECES = [(SP, -1.0), ("h", -10.0), ("e", -10.0), ("l", -10.0), ("o", -10.0), ("he", -1.0), ("ll", -2.0),
          ("hell", -3.0), ("hello", -0.5), (SP + "hello", -0.1), ("a", -10.0), ("b", -10.0), ("c", -10.0),
          ("ab", -2.0), ("bc", -1.0)]


def spm(path, drop=None, types_count=None, model="llama", pre=None, merges=None):
    tokens = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)] + [p for p, _ in PIECES]
    types = [2, 3, 3] + [6] * 256 + [1] * len(PIECES)
    scores = [0.0] * 259 + [s for _, s in PIECES]
    w = G.Writer()
    if drop != "model":
        w.add("tokenizer.ggml.model", G.STRING, model)
    if pre:
        w.add("tokenizer.ggml.pre", G.STRING, pre)
    w.add_array("tokenizer.ggml.tokens", G.STRING, tokens)
    w.add_array("tokenizer.ggml.scores", G.F32, scores)
    w.add_array("tokenizer.ggml.token_type", G.I32, types[:types_count] if types_count else types)
    if merges is not None:
        w.add_array("tokenizer.ggml.merges", G.STRING, merges)
    w.add("tokenizer.ggml.bos_token_id", G.U32, 1)
    w.add("tokenizer.ggml.eos_token_id", G.U32, 2)
    w.add("tokenizer.ggml.unknown_token_id", G.U32, 0)
    w.add("tokenizer.ggml.add_space_prefix", G.BOOL, True)
    w.write(path)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "build/tok"
    os.makedirs(out, exist_ok=True)
    spm(os.path.join(out, "spm.gguf"))
    spm(os.path.join(out, "bad_no_model.gguf"), drop="model")
    spm(os.path.join(out, "bad_types.gguf"), types_count=10)
    spm(os.path.join(out, "bad_no_merges.gguf"), model="gpt2")
    spm(os.path.join(out, "bad_pre.gguf"), model="gpt2", pre="falcon", merges=["h e"])


if __name__ == "__main__":
    main()
