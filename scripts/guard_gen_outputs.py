#!/usr/bin/env python3
"""guard_gen_outputs.py - samples text from the shipped models, to train and calibrate the
output side of the guard classifier on what the models really write (issue 12, item 1).

    python3 scripts/guard_gen_outputs.py [--steward ./steward] [--seeds 1-200]
                                         [--out data/guard-train/generated-outputs.jsonl]
    python3 scripts/guard_gen_outputs.py --seeds 100001-100400 --policy data/policy/default.policy \
                                         --out build/gen-heldout.jsonl

For every seed in the range, one generation from models/default.gguf (a continuation of a
Shakespeare-like or an ordinary prompt) and one from models/chat.gguf (an answer to a
question in its chat template), each with a temperature, length and prompt chosen by the
seed, in a fresh state directory (so each run has its own watermark key, as a new install
has) and by default a policy that allows everything (the text is what the model wrote,
before any guard). Writes {"text", "label": "benign", "source": "generated-default"|
"generated-chat", "seed", "finish_reason", "input_action", "output_action"} lines. With
--policy FILE the generations run under that policy, and output_action says what the
output guard did to the answer (the streaming guard rescans the growing text as it is
generated, so this is the figure to measure, not a scan of the finished text). Seeds 1-200 make the shipped training file; the output-guard figures in
docs/guard.md are measured on seeds from 100001 on, never trained or calibrated on.
"""
import argparse, json, os, random, shutil, subprocess, sys, tempfile

DEFAULT_PROMPTS = [
    "ROMEO:", "JULIET:", "First Citizen:", "KING RICHARD III:", "DUKE VINCENTIO:", "MENENIUS:", "QUEEN ELIZABETH:",
    "GLOUCESTER:\nNow is the", "To be, or not to be", "O, what a", "My lord,", "Good morrow,", "What say you",
    "Once upon a time", "The weather today", "Dear friend,", "Here is my plan:", "The recipe calls for",
    "In the morning we", "He said that", "Chapter 1\n\n", "The king", "Tell me,", "How do I", "I think that",
    "The war", "Love is", "Death", "Blood and", "Kill", "Poison", "The sword",
]
CHAT_PROMPTS = [
    "What is the capital of France?", "Write a short poem about the sea.", "How do I bake bread?",
    "Explain photosynthesis.", "Give me three tips for studying.", "What is 17 times 23?",
    "Tell me a story about a dragon.", "Who are you?", "Write a Python function that reverses a string.",
    "Summarize the plot of Hamlet.", "How can I improve my sleep?", "What should I cook tonight?",
    "Translate 'good morning' into Spanish.", "Why is the sky blue?", "Help me write an email to my landlord.",
    "A train travels 60 miles in 1.5 hours. What is its speed?", "List the planets of the solar system.",
    "How do vaccines work?", "What is a good name for a cat?", "Describe a healthy breakfast.",
    "How do I kill a stuck process on Linux?", "What household chemicals should never be mixed?",
    "Write a scene where two knights fight.", "How did the Roman Empire fall?", "Hello!",
]


def parse_range(s):
    a, _, b = s.partition("-")
    return range(int(a), int(b or a) + 1)


def generate(steward, policy, home, model, prompt, seed, rng, chat):
    """One generation; returns its JSON object (text, finish_reason, ...)."""
    cmd = [steward, "generate", "-m", model, "-p", prompt, "-s", str(seed), "-n", str(rng.choice([64, 128, 256])),
           "--temp", str(rng.choice([0.6, 0.8, 1.0])), "--policy", policy, "--json", "-t", "1"]
    if chat:
        cmd += ["--chat", "--repeat-penalty", "1.3"]
    env = dict(os.environ, STEWARD_HOME=home)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, timeout=60)
    if p.returncode not in (0, 3, 5):  # 3: sent to review, 5: cut by the output guard
        sys.exit("guard_gen_outputs: %s failed (%d): %s" % (" ".join(cmd), p.returncode, p.stderr.strip()[-300:]))
    return json.loads(p.stdout)


def action(g, side):
    """The action of one side's verdict ("none" when that guard did not run)."""
    v = (g.get("verdicts") or {}).get(side)
    return v.get("action", "none") if v else "none"


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steward", default=os.path.join(root, "steward"))
    ap.add_argument("--seeds", default="1-200")
    ap.add_argument("--out", default=os.path.join(root, "data", "guard-train", "generated-outputs.jsonl"))
    ap.add_argument("--policy", default="", help="generate under this guard policy (default: allow everything)")
    a = ap.parse_args()
    models = [("generated-default", os.path.join(root, "models", "default.gguf"), DEFAULT_PROMPTS, False),
              ("generated-chat", os.path.join(root, "models", "chat.gguf"), CHAT_PROMPTS, True)]
    tmp = tempfile.mkdtemp(prefix="sw_gen_")
    try:
        policy = a.policy or os.path.join(tmp, "allow.policy")
        if not a.policy:
            with open(policy, "w") as f:
                f.write("* allow\n")
        with open(a.out, "w", encoding="utf-8") as out:
            for seed in parse_range(a.seeds):
                home = os.path.join(tmp, "home-%d" % seed)  # a new watermark key per seed
                for source, model, prompts, chat in models:
                    rng = random.Random("%s-%d" % (source, seed))
                    prompt = rng.choice(prompts)
                    g = generate(a.steward, policy, home, model, prompt, seed, rng, chat)
                    if len(g["text"].strip()) >= 3 or a.policy:
                        out.write(json.dumps({"text": g["text"], "label": "benign", "source": source, "seed": seed,
                                              "finish_reason": g["finish_reason"], "input_action": action(g, "input"),
                                              "output_action": action(g, "output")}, ensure_ascii=False) + "\n")
                shutil.rmtree(home, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
