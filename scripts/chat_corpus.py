#!/usr/bin/env python3
"""chat_corpus.py - converts licensed instruction and dialogue sources into the JSONL that
`steward data build` reads: one conversation per line, rendered in ChatML (the template
`steward generate --chat` feeds the model), with provenance (source, licence, consent,
url, lang). Developer script: it reads the shared data folder; the product never does.

usage: chat_corpus.py [--src DIR] [--out FILE] [--limit N]
  --src DIR   folder with benign/self-instruct, benign/gsm8k, benign/human-eval (default ../shared/data)
  --out FILE  JSONL to write (default data/chat/conversations.jsonl)
  --limit N   at most N conversations per source (tests)
"""
import argparse
import gzip
import json
import os
import re
import sys

# Every source, with where it came from and its licence (data/chat/SOURCE.md says more).
SOURCES = {
    "self-instruct-seeds": {
        "path": "benign/self-instruct/seed_tasks.jsonl",
        "license": "Apache-2.0",
        "url": "https://github.com/yizhongw/self-instruct/blob/0b26ccaa415992100fa32df62d41b994cf928e23/data/seed_tasks.jsonl",
    },
    "gsm8k-test": {
        "path": "benign/gsm8k/test.jsonl",
        "license": "MIT",
        "url": "https://github.com/openai/grade-school-math/blob/3101c7d5072418e28b9008a6636bde82a006892c/grade_school_math/data/test.jsonl",
    },
    "humaneval": {
        "path": "benign/human-eval/HumanEval.jsonl.gz",
        "license": "MIT",
        "url": "https://github.com/openai/human-eval/blob/6d43fb980f9fee3c892a914eda09951f772ad10d/data/HumanEval.jsonl.gz",
    },
}

# System prompts: a third of the conversations carry one, so the model sees the system
# turn in the format (it cannot be expected to follow their content).
SYSTEMS = [
    "You are a helpful assistant.",
    "You are a small assistant run by steward. Answer the question.",
    "You are a careful assistant. Show your working.",
]
SYSTEMS_ZH = ["你是一个有帮助的助手。", "你是由 steward 运行的小型助手。请回答问题。"]

# The project's own conversations (written for steward, under the project's licence):
# what the model is, in English and Chinese, so that its card's caveats are also what it says.
OWN = [
    ("en", "Who are you?", "I am a very small language model that steward trained on a few licensed instruction "
     "datasets. I can follow the chat format, but I know little and I often make mistakes."),
    ("en", "What can you do?", "I can answer in the chat format and try simple questions. I am a demonstration "
     "model: please check anything important elsewhere."),
    ("en", "Hello!", "Hello! How can I help you today?"),
    ("en", "Hi, how are you?", "I am fine, thank you. What would you like to ask?"),
    ("en", "Thank you.", "You are welcome."),
    ("en", "Are your answers reliable?", "No. I am a tiny model trained on little data, so my answers are often "
     "wrong. Use me to try the format and the controls, not for facts."),
    ("en", "Who made you?", "I was trained with steward, a responsible generative-AI runtime, from licensed "
     "public datasets. My model card lists the sources."),
    ("en", "Goodbye.", "Goodbye! Have a nice day."),
    ("zh", "你是谁？", "我是 steward 用几个有许可的指令数据集训练的一个很小的语言模型。我能按对话格式回答，但知道的很少，经常出错。"),
    ("zh", "你好！", "你好！有什么可以帮你的吗？"),
    ("zh", "你能做什么？", "我能按对话格式回答简单的问题。我只是一个演示模型，重要的事情请另行核实。"),
    ("zh", "谢谢。", "不客气。"),
    ("zh", "你的回答可靠吗？", "不可靠。我是一个用很少数据训练的小模型，回答常常是错的。"),
    ("zh", "再见。", "再见！祝你愉快。"),
]


def chatml(msgs):
    """Renders [(role, content)] exactly as steward's ChatML template does."""
    return "".join("<|im_start|>%s\n%s<|im_end|>\n" % (r, c) for r, c in msgs)


def with_system(i, user, assistant, zh=False):
    msgs = []
    if i % 3 == 0:
        pool = SYSTEMS_ZH if zh else SYSTEMS
        msgs.append(("system", pool[(i // 3) % len(pool)]))
    return msgs + [("user", user), ("assistant", assistant)]


def read_jsonl(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def self_instruct(rows):
    for r in rows:
        for inst in r.get("instances", []):
            user = r["instruction"].strip()
            if inst.get("input", "").strip():
                user += "\n\n" + inst["input"].strip()
            yield user, inst["output"].strip()


def gsm8k(rows):
    for r in rows:
        ans = re.sub(r"<<[^>]*>>", "", r["answer"]).strip()
        m = re.search(r"\n?#### *(.+)$", ans)
        if m:
            ans = ans[: m.start()].rstrip() + "\nThe answer is %s." % m.group(1).strip()
        yield r["question"].strip(), ans


def humaneval(rows):
    for r in rows:
        user = "Complete this Python function.\n\n```python\n%s```" % r["prompt"].strip("\n") + "\n"
        yield user.rstrip(), "```python\n%s\n%s```" % (r["prompt"].strip("\n"), r["canonical_solution"].rstrip("\n"))


CONVERT = {"self-instruct-seeds": self_instruct, "gsm8k-test": gsm8k, "humaneval": humaneval}


def records(src, limit):
    n = 0
    for name, meta in SOURCES.items():
        path = os.path.join(src, meta["path"])
        if not os.path.exists(path):
            sys.exit("chat_corpus: %s: not found (source %s)" % (path, name))
        for k, (user, assistant) in enumerate(CONVERT[name](read_jsonl(path))):
            if limit and k >= limit:
                break
            yield {"text": chatml(with_system(n, user, assistant)), "source": name, "license": meta["license"],
                   "consent": "not-applicable", "url": meta["url"], "lang": "en"}
            n += 1
    for k, (lang, user, assistant) in enumerate(OWN):
        if limit and k >= limit:
            break
        yield {"text": chatml(with_system(k, user, assistant, lang == "zh")), "source": "steward-own",
               "license": "MIT", "consent": "not-applicable", "lang": lang}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--src", default="../shared/data")
    ap.add_argument("--out", default="data/chat/conversations.jsonl")
    ap.add_argument("--limit", type=int, default=0)
    a = ap.parse_args()
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    counts = {}
    with open(a.out, "w", encoding="utf-8") as f:
        for rec in records(a.src, a.limit):
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            counts[rec["source"]] = counts.get(rec["source"], 0) + 1
    print(json.dumps({"out": a.out, "conversations": counts}))


if __name__ == "__main__":
    main()
