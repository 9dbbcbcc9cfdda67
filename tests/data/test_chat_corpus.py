#!/usr/bin/env python3
"""test_chat_corpus.py - the chat model's pipeline on a small sample: scripts/chat_corpus.py
renders each source in ChatML with provenance; `steward data build` with the chat policy
keeps the conversations; `tokenizer train --chat-template chatml` adds the control tokens
and the template; the token shard holds one <|im_start|> id per turn; a model trained a
few steps on it answers `generate --chat` (with a system prompt), and a model whose
tokenizer has no template is refused. The shipped chat model (models/chat.gguf) answers
in the chat format: it ends its turn with <|im_end|> (finish "stop") within the budget."""
import json, os, re, shutil, struct, subprocess, sys, tempfile

BIN = os.environ.get("STEWARD_BIN", "./steward")
ROOT = os.environ.get("STEWARD_ROOT", ".")
SHARED = os.path.join(ROOT, "..", "shared", "data")
fails = 0


def check(name, cond, detail=""):
    global fails
    print(("ok - " if cond else "not ok - ") + name + ("" if cond or not detail else "  # " + str(detail)))
    if not cond:
        fails += 1


def run(*args, home):
    return subprocess.run([BIN, *args], capture_output=True, text=True, env=dict(os.environ, STEWARD_HOME=home),
                          timeout=600)


TURN = re.compile(r"<\|im_start\|>(system|user|assistant)\n(.*?)<\|im_end\|>\n", re.S)


def turns(text):
    """[(role, content)] of a ChatML text, or None when the text is not made of whole turns."""
    out, at = [], 0
    for m in TURN.finditer(text):
        if m.start() != at:
            return None
        out.append((m.group(1), m.group(2)))
        at = m.end()
    return out if at == len(text) else None


def shard_tokens(path):
    with open(path, "rb") as f:
        data = f.read()
    return struct.unpack("<%di" % ((len(data) - 160) // 4), data[160:])


def shipped_model():
    model = os.path.join(ROOT, "models", "chat.gguf")
    if not os.path.exists(model):
        print("ok - skipped: models/chat.gguf not shipped")
        return
    check("the chat model is at most 32 MB", os.path.getsize(model) <= 32 << 20, os.path.getsize(model))
    home = tempfile.mkdtemp()
    stops = 0
    for seed, (system, prompt) in enumerate([(None, "Who are you?"), ("You are a helpful assistant.", "Tom has 3 apples "
                                             "and buys 5 more. How many apples does he have?"),
                                            (None, "Write a Python function that adds two numbers.")]):
        args = ["generate", "-m", model, "--chat", "-p", prompt, "-n", "160", "--temp", "0.8", "--repeat-penalty",
                "1.3", "-s", str(seed + 1), "--json"] + (["--system", system] if system else [])
        r = run(*args, home=home)
        try:
            d = json.loads(r.stdout)
        except ValueError:
            d = {}
        ok = r.returncode in (0, 3) and d.get("text", "").strip() and "<|im_start|>" not in d.get("text", "")
        check("chat model answers '%s'%s" % (prompt[:30], " with a system prompt" if system else ""), ok,
              r.stderr[-300:])
        stops += d.get("finish_reason") == "stop"
    check("chat model ends its turn (<|im_end|>) in at least 2 of 3 answers", stops >= 2, stops)
    shutil.rmtree(home, ignore_errors=True)


def main():
    shipped_model()
    if not os.path.isdir(os.path.join(SHARED, "benign")):
        print("ok - skipped: ../shared/data not found")
        return 1 if fails else 0
    t = tempfile.mkdtemp()
    home = os.path.join(t, "home")
    conv = os.path.join(t, "conv.jsonl")
    r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts/chat_corpus.py"), "--src", SHARED, "--out", conv,
                        "--limit", "3"], capture_output=True, text=True)
    check("chat_corpus.py runs", r.returncode == 0, r.stderr)
    recs = [json.loads(l) for l in open(conv, encoding="utf-8")]
    srcs = {}
    for rec in recs:
        srcs[rec["source"]] = srcs.get(rec["source"], 0) + 1
    check("3 conversations from each source", srcs == {"self-instruct-seeds": 3, "gsm8k-test": 3, "humaneval": 3,
                                                        "steward-own": 3}, srcs)
    check("provenance on every line", all(r.get("license") in ("MIT", "Apache-2.0") and r.get("consent") ==
                                          "not-applicable" and r.get("lang") for r in recs))
    tt = [turns(r["text"]) for r in recs]
    check("every text is whole ChatML turns", all(tt), [r["text"][:80] for r, x in zip(recs, tt) if not x])
    check("user then assistant, after an optional system turn",
          all([ro for ro, _ in x if ro != "system"] == ["user", "assistant"] and x[0][0] in ("system", "user")
              for x in tt if x))
    check("a third carry a system prompt", sum(1 for x in tt if x and x[0][0] == "system") == 4)
    gsm = [x for r, x in zip(recs, tt) if r["source"] == "gsm8k-test"]
    check("gsm8k answers lose the calculator marks and end with the answer",
          all("<<" not in x[-1][1] and re.search(r"The answer is [^\n]+\.$", x[-1][1]) for x in gsm))

    out = os.path.join(t, "build")
    r = run("data", "build", "--policy", os.path.join(ROOT, "data/policy/chat.policy"), "--quiet", "--out", out, conv,
            home=home)
    check("data build with the chat policy", r.returncode == 0, r.stderr)
    rep = json.loads(r.stdout or "{}")
    check("the chat policy keeps the sample", rep.get("documents_in") == 12 and rep.get("documents_out", 0) >= 11, rep)
    kept = [json.loads(l)["text"] for l in open(os.path.join(out, "clean.jsonl"), encoding="utf-8")]
    check("kept conversations are still whole ChatML turns", all(turns(k) for k in kept))
    text = os.path.join(t, "train.txt")
    with open(text, "w", encoding="utf-8") as f:
        f.write("".join(kept))

    tok = os.path.join(t, "tok.gguf")
    r = run("tokenizer", "train", "--input", text, "--vocab-size", "320", "--chat-template", "chatml", "--out", tok,
            "--json", home=home)
    check("tokenizer train --chat-template chatml", r.returncode == 0, r.stderr)
    raw = open(tok, "rb").read()
    check("the tokenizer carries the ChatML template", b"tokenizer.chat_template" in raw and b"<|im_start|>" in raw)
    vocab = json.loads(r.stdout)["vocab_size"]
    out2 = os.path.join(t, "build2")
    r = run("data", "build", "--policy", os.path.join(ROOT, "data/policy/chat.policy"), "--quiet", "--tokenizer", tok,
            "--out", out2, conv, home=home)
    check("data build --tokenizer with the chat tokenizer", r.returncode == 0, r.stderr)
    ids = shard_tokens(os.path.join(out2, "shards", "train-00000.tok"))
    n_turns = sum(len(turns(k)) for k in kept)
    check("one <|im_start|> id and one <|im_end|> id per turn in the shard",
          ids.count(vocab - 2) == n_turns and ids.count(vocab - 1) == n_turns, (ids.count(vocab - 2), n_turns))

    model, card, about = os.path.join(t, "m.gguf"), os.path.join(t, "m.md"), os.path.join(t, "about.md")
    with open(about, "w") as f:
        f.write("A test chat model about nothing.\n")
    r = run("train", "--corpus", text, "--tokenizer", tok, "--out", model, "--layers", "1", "--embd", "32", "--heads",
            "2", "--kv-heads", "1", "--ff", "64", "--ctx", "64", "--batch", "2", "--steps", "3", "--threads", "1",
            "--card", card, "--card-about", about, "--license", "X-TEST-LICENCE", home=home)
    check("a tiny model trains on the conversations", r.returncode == 0, r.stderr[-400:])
    ctext = open(card, encoding="utf-8").read() if os.path.exists(card) else ""
    check("--card-about replaces the Shakespeare text of the card",
          "A test chat model about nothing." in ctext and "Shakespeare" not in ctext and "validation bits per byte" in ctext,
          ctext[:300])
    check("--license sets general.license", b"X-TEST-LICENCE" in open(model, "rb").read())
    r = run("generate", "-m", model, "--chat", "--system", "Answer briefly.", "-p", "Who are you?", "-n", "8",
            "--temp", "0", "--json", home=home)
    check("generate --chat with a system prompt uses the model's template", r.returncode == 0, r.stderr[-400:])
    plain = os.path.join(t, "plain.gguf")
    r = run("tokenizer", "train", "--input", text, "--vocab-size", "300", "--out", plain, home=home)
    model2 = os.path.join(t, "m2.gguf")
    r = run("train", "--corpus", text, "--tokenizer", plain, "--out", model2, "--layers", "1", "--embd", "32",
            "--heads", "2", "--kv-heads", "1", "--ff", "64", "--ctx", "64", "--batch", "2", "--steps", "1",
            "--threads", "1", home=home)
    r = run("generate", "-m", model2, "--chat", "-p", "Who are you?", "-n", "4", home=home)
    check("a model without a chat template is refused --chat", r.returncode != 0 and "template" in r.stderr,
          r.stderr[-300:])
    env_model = os.environ.pop("STEWARD_MODEL", None)
    r = run("generate", "--chat", "-p", "Who are you?", "-n", "4", "--threads", "1", "--json", home=home)
    out = json.loads(r.stdout) if r.returncode == 0 else {}
    check("generate --chat with no model uses the shipped chat model",
          r.returncode == 0 and out.get("model", {}).get("path", "").endswith("models/chat.gguf"), r.stderr[-300:])
    if env_model is not None:
        os.environ["STEWARD_MODEL"] = env_model
    shutil.rmtree(t, ignore_errors=True)
    print("%d failed" % fails)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
