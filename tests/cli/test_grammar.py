"""test_grammar.py - `steward generate --schema/--grammar/--stop/--max-time` through the
pipeline.

Every output of the schema and grammar suite (tests/cli/grammar: every supported
keyword), on the default model and on a random-weight model (`steward model demo`), for
several seeds, must parse and validate (grammar_check.py is the oracle) within
--max-tokens; a budget too small for the shortest document is refused before
generating; errors name line:col or the schema's JSON pointer; a stop sequence is found
across token boundaries and not delivered; --max-time still ends in a valid document;
the watermark is still detected in constrained text (z-scores reported).
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.environ.get("STEWARD_ROOT", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BIN = os.environ.get("STEWARD_BIN", os.path.join(ROOT, "steward"))
sys.path.insert(0, os.path.join(ROOT, "tests", "oracle"))
sys.path.insert(0, os.path.join(ROOT, "tests", "cli"))
import grammar_check  # noqa: E402
import tap  # noqa: E402
from tap import report  # noqa: E402

SUITE = os.path.join(ROOT, "tests", "cli", "grammar")
HOME = tempfile.mkdtemp(prefix="steward-grammar-")
SEEDS = (1, 2, 3)
MAX_TOKENS = 160


def run(*args, stdin=None):
    env = dict(os.environ, STEWARD_HOME=HOME)
    return subprocess.run([BIN] + list(args), env=env, capture_output=True, text=True, input=stdin, timeout=300)


# The output guard acts after the grammar (no control is skipped): with the default
# policy, PII the model writes into a document is redacted, which may break a format.
# The validity suite runs under a policy that only flags; test_guard_still_applies
# shows the default policy at work on constrained text.
FLAG_POLICY = os.path.join(HOME, "flag.policy")
with open(FLAG_POLICY, "w") as _f:
    _f.write("pii flag\nsecret flag\nharmful flag\n")


def generate(model, *extra, policy=FLAG_POLICY):
    args = ["generate", "--threads", "1", "--prompt", "The answer:", "--json"]
    if policy:
        args += ["--policy", policy]
    if model:
        args += ["--model", model]
    r = run(*(args + list(extra)))
    if r.returncode != 0:
        return None, r.stderr.strip()
    return json.loads(r.stdout), ""


def check_suite(label, model):
    bad, total = [], 0
    for name in sorted(os.listdir(SUITE)):
        path = os.path.join(SUITE, name)
        flag = "--schema" if name.endswith(".json") else "--grammar"
        schema = json.load(open(path)) if flag == "--schema" else None
        for seed in SEEDS:
            total += 1
            out, err = generate(model, flag, path, "--seed", str(seed), "--max-tokens", str(MAX_TOKENS))
            if out is None:
                bad.append("%s seed %d: failed: %s" % (name, seed, err))
                continue
            errs = (grammar_check.check_schema_doc(schema, out["text"]) if schema is not None
                    else grammar_check.check_gbnf_doc(name, out["text"]))
            if len(out["tokens"]) > MAX_TOKENS:
                errs.append("%d tokens" % len(out["tokens"]))
            if errs:
                bad.append("%s seed %d: %r: %s" % (name, seed, out["text"][:200], errs))
    report(not bad, "every output valid on the %s model (%d of %d)" % (label, total - len(bad), total),
           "; ".join(bad[:3]))


def test_oracle_can_fail():
    person = json.load(open(os.path.join(SUITE, "person.schema.json")))
    wrong = ['{"name":"","age":3,"member":true}', '{"name":"a","age":121,"member":true}',
             '{"name":"a","age":3,"member":true,"x":1}', '{"name":"a","age":3,"member":true,"born":"2023-02-30"}',
             '{"name":"a","age":3}', '{"name":"a","age":3,"member":true,"id":"not-a-uuid"}']
    report(all(grammar_check.check_schema_doc(person, w) for w in wrong), "the validator rejects invalid documents")


def test_budget_and_errors():
    person = os.path.join(SUITE, "person.schema.json")
    out, err = generate(None, "--schema", person, "--max-tokens", "10")
    report(out is None and "shortest valid document" in err, "a budget below the shortest document is refused", err)
    ok = True
    for seed in SEEDS:  # the tightest budget that fits: still complete and valid
        out, err = generate(None, "--schema", person, "--max-tokens", "34", "--seed", str(seed))
        ok = ok and out is not None and not grammar_check.check_schema_doc(json.load(open(person)), out["text"])
    report(ok, "a tight budget still ends in a valid document", err)
    with tempfile.NamedTemporaryFile("w", suffix=".gbnf", delete=False) as f:
        f.write('root ::= "a" x\nx ::= [b-\n')
    out, err = generate(None, "--grammar", f.name)
    report(out is None and "line 2:" in err and f.name in err, "a GBNF error names the file and line:col", err)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        f.write('{"type": "object", "properties": {"a": {"type": "integer", "multipleOf": 3}}}')
    out, err = generate(None, "--schema", f.name)
    report(out is None and "/properties/a/multipleOf" in err, "an unsupported keyword is named by its pointer", err)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        f.write('{"type": "object",\n "properties": {"a": }}')
    out, err = generate(None, "--schema", f.name)
    report(out is None and "line 2:" in err, "a schema's JSON syntax error names line:col", err)


def test_stop_sequences():
    base = ["--temperature", "0", "--ignore-eos", "--max-tokens", "40", "--no-watermark"]
    out, err = generate(None, *base)
    text = out["text"] if out else ""
    stop = text[12:19]
    if len(stop) < 7 or text.find(stop) != 12:  # greedy text with a repeat before: take a later span
        stop = text[20:27]
    cut, _ = generate(None, *(base + ["--stop", stop, "--stop", "\u00a7never\u00a7"]))
    ok = cut is not None and cut["text"] == text[:text.find(stop)] and cut["finish_reason"] == "stop"
    report(ok, "a stop sequence across tokens ends the text before it", "%r / %r -> %r" % (text, stop, cut and cut["text"]))
    tail, _ = generate(None, *(base + ["--stop", text[-3:] + "\u00a7"]))
    report(tail is not None and tail["text"] == text, "text that only began a stop sequence is delivered in full",
           repr(tail and tail["text"]))


def test_max_time():
    person = os.path.join(SUITE, "person.schema.json")
    out, err = generate(None, "--schema", person, "--max-time", "0.000001", "--seed", "5")
    ok = out is not None and not grammar_check.check_schema_doc(json.load(open(person)), out["text"])
    report(ok and out["finish_reason"] == "length", "--max-time with a schema ends in the shortest valid document",
           err or repr(out["text"]))
    out, err = generate(None, "--max-time", "0.000001", "--ignore-eos", "--max-tokens", "200")
    report(out is not None and len(out["tokens"]) < 200 and out["finish_reason"] == "length",
           "--max-time ends free text early", err)


def detect_z(tokens):
    r = run("detect", "--tokens", "--json", stdin=json.dumps(tokens))
    return json.loads(r.stdout)["z"] if r.returncode == 0 else float("nan")


def test_watermark_under_constraints():
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"type": "object", "properties": {"title": {"type": "string", "maxLength": 40},
                                                   "story": {"type": "string", "minLength": 100}},
                   "required": ["title", "story"], "additionalProperties": False}, f)
    zs, free = [], []
    for seed in (11, 12, 13, 14):
        out, _ = generate(None, "--schema", f.name, "--max-tokens", "200", "--seed", str(seed))
        if out:
            zs.append(detect_z(out["tokens"]))
        out, _ = generate(None, "--max-tokens", "200", "--ignore-eos", "--seed", str(seed))
        if out:
            free.append(detect_z(out["tokens"]))
    print("# watermark z (KGW self-hash, 200 tokens, default model): constrained %s, free %s"
          % ([round(z, 1) for z in zs], [round(z, 1) for z in free]))
    report(len(zs) == 4 and min(zs) >= 4.0, "the watermark is detected in constrained text (z >= 4)", repr(zs))


def test_guard_still_applies():
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"type": "object", "properties": {"contact": {"const": "write to alice.smith@example.com"}},
                   "required": ["contact"]}, f)
    out, err = generate(None, "--schema", f.name, policy=None)
    report(out is not None and "alice.smith@example.com" not in out["text"],
           "the output guard still redacts PII in constrained output (default policy)", err or out["text"])


def main():
    demo = os.path.join(HOME, "demo.gguf")
    r = run("model", "demo", demo)
    check_suite("default", None)
    if r.returncode == 0:
        check_suite("random-weight demo", demo)
    else:
        report(False, "model demo", r.stderr)
    test_oracle_can_fail()
    test_budget_and_errors()
    test_stop_sequences()
    test_max_time()
    test_watermark_under_constraints()
    test_guard_still_applies()
    return tap.exit_status()


if __name__ == "__main__":
    sys.exit(main())
