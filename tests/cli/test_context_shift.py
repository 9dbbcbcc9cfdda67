"""test_context_shift.py - `steward generate` past the end of the context.

When the KV cache is full the pipeline keeps the newest half of the history and
re-evaluates it from position 0 (see sw_pipeline_generate). The check: a greedy
generation of 150 tokens from a random-weight model whose context holds 64 equals, token
for token, what the independent numpy reference (tests/oracle/ref_model.py) produces
when it follows the same rule; --no-context-shift stops at the context's end; the
JSON counts the shifts. With a model that starts from BOS, the shifted window keeps the
BOS first; with a repetition penalty, the penalty sees the last 64 tokens of the whole
history, not only the shifted window (each checked against a reference that does the
other thing, so that the checks can tell them apart); a watermarked generation is still
detected on its tokens after the first shift.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.environ.get("STEWARD_ROOT", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BIN = os.environ.get("STEWARD_BIN", os.path.join(ROOT, "steward"))
sys.path.insert(0, os.path.join(ROOT, "tests", "oracle"))
import gguf_io as G  # noqa: E402
import make_model  # noqa: E402
import ref_model  # noqa: E402
import tap  # noqa: E402
from tap import report  # noqa: E402

import numpy as np  # noqa: E402

N_GEN = 150


REPEAT_LAST_N = 64  # the sampler's default penalty window


def generate(model, home, *extra, penalty="1", watermark=False):
    env = dict(os.environ, STEWARD_HOME=home)
    cmd = [BIN, "generate", "--model", model, "--threads", "1", "--prompt", "t", "--temperature", "0",
           "--repeat-penalty", penalty, "--ignore-eos", "--max-tokens", str(N_GEN), "--json"]
    if not watermark:
        cmd.append("--no-watermark")
    r = subprocess.run(cmd + list(extra), env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("generate failed (%d): %s" % (r.returncode, r.stderr))
    return json.loads(r.stdout)


def reference(path, prompt, n_ctx, n, keep_bos=False, penalty=1.0, penalty_on_window=False):
    """Greedy tokens under the pipeline's rule: when the cache is full, the newest
    n_ctx/2 tokens of the history are evaluated again from position 0, after the BOS
    when keep_bos. The repetition penalty (llama.cpp's: each distinct token of the last
    REPEAT_LAST_N once, logit / penalty if positive, else * penalty) sees the history,
    or only the cached window when penalty_on_window (what a wrong pipeline would do)."""
    m = ref_model.Model(path)
    hist, window = list(prompt), list(prompt)
    for _ in range(n):
        logits = np.array(m.logits(window)[-1], dtype=np.float64)
        seen = (window if penalty_on_window else hist)[-REPEAT_LAST_N:]
        if penalty != 1.0:
            for t in set(seen):
                logits[t] = logits[t] / penalty if logits[t] > 0 else logits[t] * penalty
        t = int(np.argmax(logits))
        hist.append(t)
        if len(window) == n_ctx:
            window = ([hist[0]] if keep_bos else []) + hist[-(n_ctx // 2):]
        else:
            window = window + [t]
    return hist[len(prompt):]


def first_diff(got, want):
    first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), None)
    return "" if got == want else "first difference at %s: got %s want %s" % (first, got, want)


def with_bos(w):
    """make_model's edit: the tokenizer adds BOS (so the history starts with it)."""
    w.kv = [(k, b) for k, b in w.kv if k != "tokenizer.ggml.add_bos_token"]
    w.add("tokenizer.ggml.add_bos_token", G.BOOL, True)


def check_bos_kept(tmp, n_ctx):
    path = os.path.join(tmp, "bos.gguf")
    make_model.make(path, edit=with_bos)
    vocab = make_model.vocab()[0]
    prompt = [len(vocab) - 3, vocab.index("t")]  # BOS (bos_token_id), then "t"
    d = generate(path, os.path.join(tmp, "home-bos"))
    want = reference(path, prompt, n_ctx, N_GEN, keep_bos=True)
    lost = reference(path, prompt, n_ctx, N_GEN, keep_bos=False)
    report(want != lost, "BOS model: keeping the BOS changes the reference's tokens (the check can fail)")
    report(d["tokens"] == want, "BOS model: the shifted window keeps the BOS first", first_diff(d["tokens"], want))


def check_penalty_history(path, tmp, prompt, n_ctx):
    d = generate(path, os.path.join(tmp, "home-pen"), penalty="1.5")
    want = reference(path, prompt, n_ctx, N_GEN, penalty=1.5)
    window_only = reference(path, prompt, n_ctx, N_GEN, penalty=1.5, penalty_on_window=True)
    report(want != window_only, "penalty: history and window-only references differ (the check can fail)")
    report(d["tokens"] == want, "repetition penalty sees the whole history across shifts",
           first_diff(d["tokens"], want))


def check_watermark_after_shift(path, tmp):
    home = os.path.join(tmp, "home-wm")
    d = generate(path, home, "--temperature", "1", "--top-k", "0", "--top-p", "1", "--min-p", "0", "--seed", "5",
                 "--max-tokens", "300", watermark=True)
    after = d["tokens"][make_model.N_CTX:]  # only tokens generated after the first shift
    env = dict(os.environ, STEWARD_HOME=home)
    r = subprocess.run([BIN, "detect", "--model", path, "--tokens", "--json"], input=json.dumps(after), env=env,
                       capture_output=True, text=True)
    try:
        v = json.loads(r.stdout)
    except ValueError:
        v = {}
    ok = (r.returncode == 0 and d["timings"]["context_shifts"] >= 4 and v.get("watermarked") is True
          and v.get("p", 1) < 1e-4)
    report(ok, "watermark: the %d tokens after the first shift are detected" % len(after),
           "" if ok else "detect: %s %s" % (r.stdout.strip(), r.stderr.strip()[:200]))


def main():
    tmp = tempfile.mkdtemp(prefix="steward-shift-")
    try:
        return run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(tmp):
    path = os.path.join(tmp, "m.gguf")
    make_model.make(path)
    n_ctx = make_model.N_CTX
    # the prompt "t" is one byte token: no merge makes "t" alone, and no BOS is added
    prompt = [make_model.vocab()[0].index("t")]
    home = os.path.join(tmp, "home")
    try:
        d = generate(path, home)
    except RuntimeError as e:
        report(False, "generate 150 tokens past a 64-token context", str(e))
        return 1
    got = d["tokens"]
    report(len(got) == N_GEN and d["finish_reason"] == "length",
           "generation goes on past the context (%d tokens, finish %s)" % (len(got), d["finish_reason"]))
    # the cache fills at token n_ctx - 1, then every n_ctx/2 tokens
    want_shifts = 1 + (N_GEN - n_ctx) // (n_ctx // 2)
    report(d["timings"]["context_shifts"] == want_shifts,
           "context_shifts counted (%s, want %d)" % (d["timings"].get("context_shifts"), want_shifts))
    want = reference(path, prompt, n_ctx, N_GEN)
    first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), None)
    report(got == want, "tokens equal the reference's under the same shift rule",
           "" if got == want else "first difference at %s: got %s want %s" % (first, got, want))
    d2 = generate(path, home, "--no-context-shift")
    report(len(d2["tokens"]) == n_ctx - len(prompt) and d2["timings"]["context_shifts"] == 0
           and d2["tokens"] == got[:len(d2["tokens"])],
           "--no-context-shift stops at the context's end (%d tokens)" % len(d2["tokens"]))
    for check in (lambda: check_bos_kept(tmp, n_ctx), lambda: check_penalty_history(path, tmp, prompt, n_ctx),
                  lambda: check_watermark_after_shift(path, tmp)):
        try:
            check()
        except RuntimeError as e:
            report(False, "generate", str(e))
    return tap.exit_status()


if __name__ == "__main__":
    sys.exit(main())
