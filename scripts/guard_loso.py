#!/usr/bin/env python3
"""guard_loso.py - leave-one-source-out evaluation of the guard, as a user meets it.

    python3 scripts/guard_loso.py [--steward ./steward] [--data build/guard-data]
                                  [--out build/guard-loso] [--only SOURCE,...] [--json]

DATA is the output of scripts/guard_data.py (train/valid/test/test_heldout.jsonl, lines
{"text", "label", "source"}). For each source S of the labelled data, the classifier is
trained (`steward guard train`) on the train split of every other source, calibrated on
their valid split, and the guard (shipped rules and policy, that model) is run over every
text of S (all splits) with `steward eval guard`: the figures are the share of S's texts
whose verdict - the full policy's action, as `steward scan` answers - is review or block
(stopped) and flag, review or block (alarmed), not classifier scores.

Sources that are for evaluation only are never trained on, in any fold: XSTest (safe and
unsafe prompts), the held-out injection family with its hard negatives, and MultiJail's
languages other than English and Chinese. They are
evaluated once, with the model trained on everything else (fold "-").

Prints one line per held-out source, with the kinds of finding behind most of its alarms
(`causes` of `steward eval guard`), and names the worst attack source (lowest stop rate)
and the worst benign source (highest alarm rate); --json prints the same as JSON.
"""
import argparse, json, os, subprocess, sys, tempfile

EVAL_ONLY = {"xstest-safe", "xstest-unsafe", "written-heldout", "hard-negative-heldout", "multijail-other"}
SPLITS = ("train", "valid", "test", "test_heldout")
TRAIN_ARGS = []  # --train-args: more options of `steward guard train` (e.g. "--l2 1e-3")


def read(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as fh:
        return [json.loads(l) for l in fh if l.strip()]


def write(path, rows):
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        sys.exit("guard_loso: %s failed (%d): %s" % (" ".join(cmd), p.returncode, p.stderr.strip()[-500:]))
    return p.stdout


def train_without(steward, split, held, out_model, tmp):
    """Trains on the train split minus `held` and the evaluation-only sources."""
    drop = set(held) | EVAL_ONLY
    tr = [r for r in split["train"] if r["source"] not in drop]
    va = [r for r in split["valid"] if r["source"] not in drop]
    tp, vp = os.path.join(tmp, "train.jsonl"), os.path.join(tmp, "valid.jsonl")
    write(tp, tr)
    write(vp, va)
    run([steward, "guard", "train", "--data", tp, "--valid", vp, "--out", out_model, "--seed", "42"] + TRAIN_ARGS)
    return len(tr)


def evaluate(steward, model, rows, tmp):
    """The full guard's actions on rows: {source: {label, n, stop_rate, alarm_rate}}."""
    p = os.path.join(tmp, "eval.jsonl")
    write(p, rows)
    o = json.loads(run([steward, "eval", "guard", "--model", model, "--data", p, "--json"]))
    return o["actions_by_source"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steward", default="./steward")
    ap.add_argument("--data", default="build/guard-data")
    ap.add_argument("--out", default="build/guard-loso")
    ap.add_argument("--only", default="", help="comma-separated sources to hold out (default: all)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--train-args", default="", help="more options of steward guard train, e.g. '--l2 1e-3'")
    a = ap.parse_args()
    TRAIN_ARGS.extend(a.train_args.split())
    split = {s: read(os.path.join(a.data, s + ".jsonl")) for s in SPLITS}
    if not split["train"]:
        sys.exit("guard_loso: no %s/train.jsonl (run scripts/guard_data.py first)" % a.data)
    rows = [r for s in SPLITS for r in split[s]]
    sources = sorted({r["source"] for r in rows})
    if a.only:
        sources = [s for s in sources if s in a.only.split(",")]
    os.makedirs(a.out, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folds = [[s] for s in sources if s not in EVAL_ONLY]
        if any(s in EVAL_ONLY for s in sources):
            folds.append([])  # one model without any evaluation-only source
        for held in folds:
            name = held[0] if held else "-"
            model = os.path.join(a.out, "fold-%s.bin" % name)
            ntrain = train_without(a.steward, split, held, model, tmp)
            targets = held if held else [s for s in sources if s in EVAL_ONLY]
            res = evaluate(a.steward, model, [r for r in rows if r["source"] in targets], tmp)
            for s in targets:
                r = res.get(s)
                if r:
                    results.append(dict(source=s, fold=name, trained_on=ntrain, **r))
            if not a.json:
                for s in targets:
                    r = res.get(s)
                    if r:
                        top = sorted(r.get("causes", {}).items(), key=lambda kv: -kv[1])[:3]
                        print("%-24s %-16s n=%5d  stopped %6.2f%%  alarmed %6.2f%%  (fold %s, %d training texts)%s"
                              % (s, r["label"], r["n"], 100 * r["stop_rate"], 100 * r["alarm_rate"], name, ntrain,
                                 "  causes: " + ", ".join("%s %d" % kv for kv in top) if top else ""),
                              flush=True)
    attacks = [r for r in results if r["label"] != "benign"]
    benign = [r for r in results if r["label"] == "benign"]
    summary = {
        "folds": results,
        "worst_attack_source": min(attacks, key=lambda r: r["stop_rate"])["source"] if attacks else None,
        "worst_benign_source": max(benign, key=lambda r: r["alarm_rate"])["source"] if benign else None,
    }
    with open(os.path.join(a.out, "loso.json"), "w") as fh:
        json.dump(summary, fh, indent=1)
    if a.json:
        print(json.dumps(summary, indent=1))
    else:
        if attacks:
            w = min(attacks, key=lambda r: r["stop_rate"])
            print("worst attack source: %s (stopped %.2f%%)" % (w["source"], 100 * w["stop_rate"]))
        if benign:
            w = max(benign, key=lambda r: r["alarm_rate"])
            print("worst benign source: %s (alarmed %.2f%%, stopped %.2f%%)"
                  % (w["source"], 100 * w["alarm_rate"], 100 * w["stop_rate"]))


if __name__ == "__main__":
    main()
