#!/usr/bin/env python3
"""chat_card.py - completes the chat model's card (written by `steward train --card`):
copies the data build's dataset card, statistics, lineage and manifest into
data/chat/build/, samples the model with `generate --chat` on the user turns of the
validation conversations (their system prompts kept), and appends to the card the links
to those files, the audit records, and the guard's flag rate on the samples.

usage: chat_card.py [--run DIR] [--model FILE] [--card FILE] [--samples N] [--steward BIN]
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

TURN = re.compile(r"<\|im_start\|>(system|user|assistant)\n(.*?)<\|im_end\|>\n", re.S)


MAX_PROMPT_BYTES = 400  # the model's context is 256 tokens: room for the prompt and the answer


def prompts(val_path, n):
    """(system or None, user) of the first n validation conversations whose prompt fits."""
    text = open(val_path, encoding="utf-8").read()
    out, sys_msg = [], None
    for m in TURN.finditer(text):
        role, content = m.group(1), m.group(2)
        if role == "system":
            sys_msg = content
        elif role == "user":
            if len(content.encode()) + len((sys_msg or "").encode()) <= MAX_PROMPT_BYTES:
                out.append((sys_msg, content))
            sys_msg = None
        if len(out) >= n:
            break
    return out


def sample(bin_, model, pairs, home):
    """Generates an answer to each prompt; returns [(prompt, answer, output verdict action, categories)]."""
    res = []
    for i, (sys_msg, user) in enumerate(pairs):
        cmd = [bin_, "generate", "-m", model, "--chat", "-p", user, "-n", "96", "--temp", "0.7", "-s", str(i + 1),
               "--json", "--no-watermark"]
        if sys_msg:
            cmd += ["--system", sys_msg]
        r = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, STEWARD_HOME=home), timeout=120)
        try:
            d = json.loads(r.stdout)
        except ValueError:
            res.append((user, "", "error: " + r.stderr.strip()[-200:], []))
            continue
        out = (d.get("verdicts") or {}).get("output") or {}
        cats = sorted({f["category"] for f in out.get("findings", []) if f.get("action") != "allow"})
        res.append((user, d.get("text", ""), out.get("action", "allow"), cats))
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", default="run/chat")
    ap.add_argument("--model", default="models/chat.gguf")
    ap.add_argument("--card", default="models/chat.md")
    ap.add_argument("--samples", type=int, default=60)
    ap.add_argument("--steward", default="./steward")
    a = ap.parse_args()
    keep = "data/chat/build"
    os.makedirs(keep, exist_ok=True)
    for f in ("card.md", "stats.json", "lineage.jsonl"):
        shutil.copy(os.path.join(a.run, "data", f), os.path.join(keep, f))
    shutil.copy(os.path.join(a.run, "MANIFEST.json"), os.path.join(keep, "MANIFEST.json"))
    man = json.load(open(os.path.join(a.run, "MANIFEST.json")))
    home = tempfile.mkdtemp()
    res = sample(a.steward, a.model, prompts(os.path.join(a.run, "val.txt"), a.samples), home)
    errors = [r for r in res if r[2].startswith("error")]
    res = [r for r in res if not r[2].startswith("error")]
    flagged = [r for r in res if r[2] != "allow"]
    with open(a.card, "a", encoding="utf-8") as f:
        f.write("\n## Data and lineage\n\n")
        f.write("- Conversations: `data/chat/conversations.jsonl` (sources, commits and licences: "
                "[data/chat/SOURCE.md](../data/chat/SOURCE.md)), through `steward data build --policy "
                "data/policy/chat.policy` (`scripts/chat_model.sh`).\n")
        f.write("- Dataset card: [data/chat/build/card.md](../data/chat/build/card.md); statistics "
                "[stats.json](../data/chat/build/stats.json); every decision per conversation "
                "[lineage.jsonl](../data/chat/build/lineage.jsonl); hashes of the input, policy, outputs and "
                "train/validation splits [MANIFEST.json](../data/chat/build/MANIFEST.json) (its SHA-256 is this "
                "model's `steward.train.corpus_manifest_sha256`).\n")
        f.write("- Audit log: the build appended a `data` lineage record (index %s in the log of the run that made "
                "this model) linking the input's and policy's SHA-256 to the outputs'; `steward train` appended a "
                "`train` lineage record linking the corpus, tokenizer and manifest to this file. `steward audit "
                "verify` checks them.\n" % man.get("audit_index"))
        f.write("\n## The guard on the model's own samples\n\n")
        f.write("%d answers to the user turns (of at most %d bytes with the system prompt) of the validation "
                "conversations, their system prompts kept, "
                "`generate --chat -n 96 --temp 0.7`, seeds 1..%d, scanned by the output guard under the default "
                "policy: **%d flagged (%.1f%%)**%s.\n" % (len(res), MAX_PROMPT_BYTES, len(res), len(flagged),
                100.0 * len(flagged) / max(1, len(res)),
                "" if not flagged else " — " + ", ".join("%s (%s)" % (r[2], "/".join(r[3]) or "-") for r in flagged[:10])))
        if res:
            f.write("\nExample (seed 1): user: %s\n\n> %s\n" % (json.dumps(res[0][0][:200]),
                                                                 res[0][1].strip().replace("\n", "\n> ")[:600]))
    shutil.rmtree(home, ignore_errors=True)
    print(json.dumps({"samples": len(res), "flagged": len(flagged), "errors": len(errors), "card": a.card}))


if __name__ == "__main__":
    sys.exit(main())
