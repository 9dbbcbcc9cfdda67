"""test_context_shift.py - `steward generate` past the end of the context.

When the KV cache is full the pipeline keeps the newest half of the history and
re-evaluates it from position 0 (see sw_pipeline_generate). The check: a greedy
generation of 150 tokens from a random-weight model whose context holds 64 equals, token
for token, what the independent numpy reference (tests/oracle/ref_model.py) produces
when it follows the same rule; --no-context-shift stops at the context's end; the
JSON counts the shifts.
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
import make_model  # noqa: E402
import ref_model  # noqa: E402
import tap  # noqa: E402
from tap import report  # noqa: E402

import numpy as np  # noqa: E402

N_GEN = 150


def generate(model, home, *extra):
    env = dict(os.environ, STEWARD_HOME=home)
    cmd = [BIN, "generate", "--model", model, "--threads", "1", "--prompt", "t", "--temperature", "0",
           "--repeat-penalty", "1", "--no-watermark", "--ignore-eos", "--max-tokens", str(N_GEN), "--json"]
    r = subprocess.run(cmd + list(extra), env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("generate failed (%d): %s" % (r.returncode, r.stderr))
    return json.loads(r.stdout)


def reference(path, prompt, n_ctx, n):
    """Greedy tokens under the pipeline's rule: when the cache is full, the newest
    n_ctx/2 tokens of the history are evaluated again from position 0."""
    m = ref_model.Model(path)
    hist, window = list(prompt), list(prompt)
    for _ in range(n):
        t = int(np.argmax(m.logits(window)[-1]))
        hist.append(t)
        window = hist[-(n_ctx // 2):] if len(window) == n_ctx else window + [t]
    return hist[len(prompt):]


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
    return tap.exit_status()


if __name__ == "__main__":
    sys.exit(main())
