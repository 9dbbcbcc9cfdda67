"""make_hf_llama.py - writes a tiny Hugging Face checkpoint (random weights) for converter tests.

    /usr/bin/python3 make_hf_llama.py OUTDIR [--arch llama|qwen2] [--seed N]

OUTDIR gets what llama.cpp's convert_hf_to_gguf.py reads from a `LlamaForCausalLM` (or
`Qwen2ForCausalLM`) checkpoint: config.json, pytorch_model.bin (torch.save of a state dict
with Hugging Face's tensor names), a SentencePiece BPE tokenizer.model trained here with the
sentencepiece module on a generated English/Chinese text (byte fallback, no normalisation,
as Llama's; 600 pieces for llama, 1000 for qwen2), tokenizer_config.json and
special_tokens_map.json. Shapes: 2 layers, hidden 128, 4 query heads of 32 over 2 KV heads
(grouped-query attention), FFN 256, an untied lm_head (tied on request); qwen2 adds the
Q/K/V biases. Variants for the converter's other paths: an explicit head_dim, rope_theta,
rope_scaling.
Needs torch and sentencepiece (Debian's python3-torch and python3-sentencepiece); run
with /usr/bin/python3.
"""
import argparse
import io
import json
import os
import random

import numpy as np

HIDDEN, N_HEAD, N_KV, FFN, N_LAYER, N_CTX = 128, 4, 2, 256, 2, 256
VOCAB = {"llama": 600, "qwen2": 1000}  # two vocabularies learned from the same text
THETA = {"llama": 10000.0, "qwen2": 1000000.0}
EPS = {"llama": 1e-5, "qwen2": 1e-6}

EN = ("the a of and to in is that it was for on are as with his they at be this from have or by one had not but "
      "what all were when we there can an your which their said if do will each about how up out them then she "
      "many some so these would other into has more her two like him see time could no make than first been its "
      "who now people my made over did down only way find use may water long little very after words called just "
      "where most know get through back much before go good new write our used me man too any day same right look "
      "think also around another came come work three word must because does part even place well such here take "
      "why things help put years different away again off went old number great tell men say small every found "
      "still between name should home big give air line set own under read last never us left end along while "
      "might next sound below saw something thought both few those always looked show large often together asked "
      "house world going want school important until form food keep children feet land side without boy once "
      "animals life enough took sometimes four head above kind began almost live page got earth need far hand "
      "high year mother light parts country father let night following picture being study second eyes soon").split()
ZH = ("的一是不了人我在有他这为之大来以个中上们到说国和地也子时道出而要于就下得可你年生自会那后能对着事其里所去"
      "行过家十用发天如然作方成者多日都三小军二无同么经法当起与好看学进种将还分此心前面又定见只主没公从")
PUNCT = [",", ".", "!", "?", ";", ":", "'s", " -", "(", ")", "\"", "。", "，", "、"]


def corpus(seed=7, n_lines=400):
    """About 20 KB of word salad: English, Chinese, numbers and punctuation."""
    rng = random.Random(seed)
    lines = []
    for _ in range(n_lines):
        kind = rng.random()
        if kind < 0.6:
            words = [rng.choice(EN) for _ in range(rng.randint(4, 14))]
            if rng.random() < 0.3:
                words.insert(rng.randrange(len(words)), str(rng.randint(0, 2025)))
            s = " ".join(words)
            s = s[0].upper() + s[1:] + rng.choice(PUNCT[:4])
        elif kind < 0.9:
            s = "".join(rng.choice(ZH) for _ in range(rng.randint(5, 20))) + rng.choice(["。", "，", "！"])
        else:
            s = " ".join(rng.choice(EN) + rng.choice(PUNCT) for _ in range(rng.randint(2, 6)))
        lines.append(s)
    return "\n".join(lines) + "\n"


def train_tokenizer(out_dir, vocab_size):
    """Trains the SentencePiece BPE model as out_dir/tokenizer.model; returns its vocabulary size."""
    import sentencepiece as spm
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus().splitlines()), model_writer=model, model_type="bpe",
        vocab_size=vocab_size, byte_fallback=True, split_digits=True, normalization_rule_name="identity",
        remove_extra_whitespaces=False, add_dummy_prefix=True, allow_whitespace_only_pieces=True,
        character_coverage=1.0, unk_id=0, bos_id=1, eos_id=2, pad_id=-1, num_threads=1, minloglevel=2)
    with open(os.path.join(out_dir, "tokenizer.model"), "wb") as f:
        f.write(model.getvalue())
    sp = spm.SentencePieceProcessor(model_proto=model.getvalue())
    return sp.vocab_size()


def weights(arch, n_vocab, seed, hd=HIDDEN // N_HEAD):
    """Hugging Face state dict (name -> float32 array), scaled so activations stay O(1)."""
    rng = np.random.default_rng(seed)

    def mat(rows, cols):
        return (rng.standard_normal((rows, cols)) / np.sqrt(cols)).astype(np.float32)

    def norm(n):
        return (1.0 + 0.1 * rng.standard_normal(n)).astype(np.float32)

    sd = {"model.embed_tokens.weight": rng.standard_normal((n_vocab, HIDDEN)).astype(np.float32)}
    for i in range(N_LAYER):
        p = "model.layers.%d." % i
        sd[p + "input_layernorm.weight"] = norm(HIDDEN)
        sd[p + "self_attn.q_proj.weight"] = mat(N_HEAD * hd, HIDDEN)
        sd[p + "self_attn.k_proj.weight"] = mat(N_KV * hd, HIDDEN)
        sd[p + "self_attn.v_proj.weight"] = mat(N_KV * hd, HIDDEN)
        if arch == "qwen2":
            for x, rows in (("q", N_HEAD * hd), ("k", N_KV * hd), ("v", N_KV * hd)):
                sd[p + "self_attn.%s_proj.bias" % x] = (0.5 * rng.standard_normal(rows)).astype(np.float32)
        sd[p + "self_attn.o_proj.weight"] = mat(HIDDEN, N_HEAD * hd)
        sd[p + "post_attention_layernorm.weight"] = norm(HIDDEN)
        sd[p + "mlp.gate_proj.weight"] = mat(FFN, HIDDEN)
        sd[p + "mlp.up_proj.weight"] = mat(FFN, HIDDEN)
        sd[p + "mlp.down_proj.weight"] = mat(HIDDEN, FFN)
    sd["model.norm.weight"] = norm(HIDDEN)
    sd["lm_head.weight"] = (4 * mat(n_vocab, HIDDEN))  # spread the logits: clear greedy choices
    return sd


def config(arch, n_vocab, head_dim=None, rope_scaling=None, rope_theta=None, tied=False):
    c = {
        "architectures": ["Qwen2ForCausalLM" if arch == "qwen2" else "LlamaForCausalLM"],
        "model_type": arch,
        "hidden_size": HIDDEN, "intermediate_size": FFN, "num_hidden_layers": N_LAYER,
        "num_attention_heads": N_HEAD, "num_key_value_heads": N_KV, "max_position_embeddings": N_CTX,
        "rms_norm_eps": EPS[arch], "rope_theta": rope_theta or THETA[arch], "vocab_size": n_vocab,
        "hidden_act": "silu", "tie_word_embeddings": tied, "torch_dtype": "float32",
        "bos_token_id": 1, "eos_token_id": 2,
    }
    if arch == "llama":
        c.update(attention_bias=False, mlp_bias=False)
    if head_dim:
        c["head_dim"] = head_dim
    if rope_scaling:
        c["rope_scaling"] = rope_scaling
    return c


def tokenizer_files(out_dir):
    specials = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}
    decoder = {str(i): {"content": t, "lstrip": False, "normalized": False, "rstrip": False,
                        "single_word": False, "special": True} for i, t in enumerate(["<unk>", "<s>", "</s>"])}
    cfg = dict(specials, add_bos_token=True, add_eos_token=False, added_tokens_decoder=decoder,
               tokenizer_class="LlamaTokenizer", model_max_length=N_CTX, legacy=False)
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    with open(os.path.join(out_dir, "special_tokens_map.json"), "w") as f:
        json.dump(specials, f, indent=1)


def make(out_dir, arch="llama", seed=1, head_dim=None, rope_scaling=None, rope_theta=None, tied=False,
         bf16=False):
    """Writes the checkpoint into out_dir (created); returns the state dict as numpy arrays.
    head_dim: an explicit head size (config "head_dim", may differ from hidden/heads);
    rope_scaling: the config's "rope_scaling" dict (e.g. Llama 3.1's "llama3" type);
    rope_theta: instead of the architecture's usual base; tied: no lm_head (the output
    projection is embed_tokens); bf16: tensors stored as bfloat16 (as most published
    checkpoints are; config torch_dtype "bfloat16")."""
    import torch
    os.makedirs(out_dir, exist_ok=True)
    n_vocab = train_tokenizer(out_dir, VOCAB[arch])
    tokenizer_files(out_dir)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        cfg = config(arch, n_vocab, head_dim, rope_scaling, rope_theta, tied)
        if bf16:
            cfg["torch_dtype"] = "bfloat16"
        json.dump(cfg, f, indent=1)
    sd = weights(arch, n_vocab, seed, head_dim or HIDDEN // N_HEAD)
    if tied:  # the embeddings are the output projection: give them lm_head's scale
        del sd["lm_head.weight"]
        sd["model.embed_tokens.weight"] *= np.float32(4 / np.sqrt(HIDDEN))
    dtype = torch.bfloat16 if bf16 else torch.float32
    torch.save({k: torch.from_numpy(v).to(dtype) for k, v in sd.items()}, os.path.join(out_dir, "pytorch_model.bin"))
    return sd


def make_bpe(out_dir, vocab_json, merges_txt, seed=8):
    """A llama checkpoint with a GPT-2 byte-level BPE vocabulary (vocab.json and merges.txt
    copied from the given files, as a "slow" HF tokenizer has them) instead of
    tokenizer.model; <|endoftext|> (the last id) is BOS and EOS. Returns the vocabulary size."""
    import shutil
    import torch
    os.makedirs(out_dir, exist_ok=True)
    shutil.copyfile(vocab_json, os.path.join(out_dir, "vocab.json"))
    shutil.copyfile(merges_txt, os.path.join(out_dir, "merges.txt"))
    with open(vocab_json, encoding="utf-8") as f:
        n_vocab = len(json.load(f))
    cfg = config("llama", n_vocab)
    cfg["bos_token_id"] = cfg["eos_token_id"] = n_vocab - 1
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    sd = weights("llama", n_vocab, seed)
    torch.save({k: torch.from_numpy(v) for k, v in sd.items()}, os.path.join(out_dir, "pytorch_model.bin"))
    return n_vocab


def load(out_dir):
    """(config dict, state dict as float64 numpy arrays) of a checkpoint written by make()."""
    import torch
    with open(os.path.join(out_dir, "config.json")) as f:
        cfg = json.load(f)
    sd = torch.load(os.path.join(out_dir, "pytorch_model.bin"), map_location="cpu")
    return cfg, {k: v.float().numpy().astype(np.float64) for k, v in sd.items()}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--arch", default="llama", choices=["llama", "qwen2"])
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    make(a.out, a.arch, a.seed)
