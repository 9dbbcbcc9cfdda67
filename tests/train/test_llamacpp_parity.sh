#!/usr/bin/env bash
# The default model in llama.cpp: it loads, and its greedy continuation equals steward's.
# Needs llama.cpp's `llama-simple` (greedy sampling): $LLAMA_SIMPLE or on the PATH; the
# test is skipped without it (llama.cpp is not a dependency of steward).
# llama.cpp names GPT-2's pre-tokenizer "gpt-2" and steward's tokenizer "gpt2"; the copy
# given to llama.cpp differs from the model only in that key (rewritten by the Python
# GGUF oracle).
set -u
BIN=${STEWARD_BIN:-./steward}
ROOT=${STEWARD_ROOT:-.}
MODEL=${MODEL:-$ROOT/models/default.gguf}
LS=${LLAMA_SIMPLE:-$(command -v llama-simple || true)}
if [ -z "$LS" ] || [ ! -x "$LS" ] || [ ! -f "$MODEL" ]; then
  echo "ok 1 - # SKIP llama-simple or $MODEL not available"
  exit 0
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
/usr/bin/python3 - "$ROOT" "$MODEL" "$T/llama.gguf" <<'PY'
import sys
sys.path.insert(0, sys.argv[1] + "/tests/oracle")
import gguf_io as G
g = G.read(sys.argv[2])
w = G.Writer(g["kv"].get("general.alignment", 32))
elem = {"tokenizer.ggml.tokens": G.STRING, "tokenizer.ggml.merges": G.STRING, "tokenizer.ggml.token_type": G.I32}
for k, v in g["kv"].items():
    if k == "tokenizer.ggml.pre":
        v = "gpt-2"
    if g["types"][k] == G.ARRAY:
        w.add_array(k, elem[k], v)
    else:
        w.add(k, g["types"][k], v)
for name, t in g["tensors"].items():
    w.add_tensor(name, t["type"], t["ne"], t["data"])
w.write(sys.argv[3])
PY
n=0
for prompt in "ROMEO:" "First Citizen:
Before we proceed" "KING HENRY:
What"; do
  n=$((n + 1))
  "$LS" -m "$T/llama.gguf" -n 24 "$prompt" > "$T/l.txt" 2> "$T/l.err"
  lrc=$?
  "$BIN" generate --model "$MODEL" --prompt "$prompt" --max-tokens 24 --temperature 0 --ignore-eos --no-watermark \
    --home "$T/home" --json > "$T/s.json" 2> "$T/s.err"
  /usr/bin/python3 - "$T/l.txt" "$T/s.json" "$prompt" "$lrc" <<'PY'
import json, sys
l = open(sys.argv[1], encoding="utf-8", errors="replace").read()
s = json.load(open(sys.argv[2]))["text"]
prompt = sys.argv[3]
ok = sys.argv[4] == "0" and l.startswith(prompt) and l[len(prompt):].startswith(s) and len(s) > 0
print("llama.cpp:", repr(l[len(prompt):][:200]), file=sys.stderr)
print("steward:  ", repr(s[:200]), file=sys.stderr)
sys.exit(0 if ok else 1)
PY
  if [ $? -eq 0 ]; then echo "ok $n - greedy continuation equal: $(echo "$prompt" | head -1)"; else
    echo "not ok $n - greedy continuation differs or llama.cpp failed: $(echo "$prompt" | head -1)"; tail -3 "$T/l.err"; fi
done
