#!/usr/bin/env bash
# steward tokenizer train / train / eval perplexity through the CLI: a tiny run, an
# interrupted-and-resumed run that ends with exactly the same weights, records in the
# GGUF metadata, the engine's perplexity equal to the trainer's validation loss, and
# DP-SGD's epsilon in the record.
set -u
BIN=${STEWARD_BIN:-./steward}
ROOT=${STEWARD_ROOT:-.}
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export STEWARD_HOME="$T/home"
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else nok "$1"; fi; }

head -c 30000 "$ROOT/data/corpus/tinyshakespeare/train.txt" > "$T/train.txt"
head -c 4000 "$ROOT/data/corpus/tinyshakespeare/val.txt" > "$T/val.txt"
echo '{"test": true}' > "$T/manifest.json"

check "tokenizer train" '"$BIN" tokenizer train --input "$T/train.txt" --vocab-size 300 --out "$T/tok.gguf" --json > "$T/tok.json" 2>/dev/null'
check "tokenizer stats" 'grep -q "\"vocab_size\":300" "$T/tok.json"'

COMMON=(--corpus "$T/train.txt" --val "$T/val.txt" --tokenizer "$T/tok.gguf" --manifest "$T/manifest.json"
        --layers 1 --embd 32 --heads 2 --ff 64 --ctx 16 --batch 2 --steps 6 --warmup 2 --eval-every 0 --threads 2 --seed 7)
check "train uninterrupted" '"$BIN" train "${COMMON[@]}" --out "$T/a.gguf" --card "$T/a.md" --json > "$T/a.json" 2>/dev/null'
"$BIN" train "${COMMON[@]}" --out "$T/b.gguf" --checkpoint "$T/ck.bin" --stop-after 3 >/dev/null 2>&1
check "stop-after exits 3 with a checkpoint" '[ $? -eq 3 ] && [ -f "$T/ck.bin" ] && [ ! -f "$T/b.gguf" ]'
check "training is recorded as lineage (corpus, tokenizer in; model out)" '"$BIN" audit export | grep "\"event\":\"train\"" | grep -q "$(sha256sum "$T/a.gguf" | cut -c1-64)"'
check "resume" '"$BIN" train "${COMMON[@]}" --out "$T/b.gguf" --checkpoint "$T/ck.bin" --resume --json > "$T/b.json" 2>/dev/null'

cat > "$T/cmp.py" <<'PY'
import json, math, sys
sys.path.insert(0, sys.argv[1] + "/tests/oracle")
import gguf_io as G; import sys; check = lambda c, *why: c or sys.exit(repr(why))
a = G.read(sys.argv[2]); b = G.read(sys.argv[3])
ka, ta = a["kv"], a["tensors"]
kb, tb = b["kv"], b["tensors"]
what = sys.argv[4]
if what == "same-weights":
    check(sorted(ta) == sorted(tb) and all(ta[k]["data"] == tb[k]["data"] for k in ta), "weights differ")
    check(ka["steward.train.steps"] == kb["steward.train.steps"] == 6)
elif what == "records":
    for k in ["steward.train.config", "steward.train.corpus_manifest_sha256", "steward.train.code_version",
              "steward.train.seed", "steward.train.steps", "steward.train.train_loss", "steward.train.val_loss",
              "steward.train.val_bits_per_byte", "steward.train.wall_seconds", "steward.train.energy_joules",
              "steward.train.energy_method", "steward.train.co2e_grams", "tokenizer.ggml.merges", "llama.block_count"]:
        check(k in ka, "missing " + k)
    check(ka["steward.train.steps"] == 6 and ka["steward.train.seed"] == 7)
    check(json.loads(ka["steward.train.config"])["n_embd"] == 32)
    check(ka["general.architecture"] == "llama" and ka["tokenizer.ggml.model"] == "gpt2")
print("ok")
PY
check "resumed weights equal the uninterrupted run's" '$PY "$T/cmp.py" "$ROOT" "$T/a.gguf" "$T/b.gguf" same-weights >/dev/null'
check "training records in the GGUF metadata" '$PY "$T/cmp.py" "$ROOT" "$T/a.gguf" "$T/a.gguf" records >/dev/null'
check "model card written with the records" 'grep -q "validation bits per byte" "$T/a.md" && grep -q "manifest" "$T/a.md"'

# a second phase from the first run's checkpoint: its records name the parent and add up
check "init-from another run's checkpoint" '"$BIN" train "${COMMON[@]}" --init-from "$T/ck.bin" --steps 3 --seed 8 --out "$T/c.gguf" --json > "$T/c.json" 2>/dev/null'
check "init-from records" '$PY -c "
import sys; check = lambda c, *why: c or sys.exit(repr(why)); sys.path.insert(0, \"$ROOT/tests/oracle\"); import gguf_io as G
kv = G.read(\"$T/c.gguf\")[\"kv\"]
check(kv[\"steward.train.total_steps\"] == 9 and kv[\"steward.train.steps\"] == 3, kv[\"steward.train.steps\"])
check(\"at step 6\" in kv[\"steward.train.init_from\"])
check(kv[\"steward.train.tokens\"] == 9 * 2 * 16)
"'

# the engine's perplexity on the validation text equals the trainer's validation loss
"$BIN" eval perplexity --model "$T/a.gguf" --file "$T/val.txt" --json > "$T/ppl.json" 2>/dev/null
check "eval perplexity agrees with the trainer" '$PY -c "
import json,sys,math; check = lambda c, *why: c or sys.exit(repr(why))
a=json.load(open(\"$T/a.json\")); p=json.load(open(\"$T/ppl.json\"))
check(abs(p[\"nll_per_token\"]-a[\"val_loss\"])<1e-3*a[\"val_loss\"], (p, a))
check(abs(p[\"bits_per_byte\"]-a[\"val_bits_per_byte\"])<1e-3*a[\"val_bits_per_byte\"], (p, a))
check(abs(math.log(p[\"perplexity\"])-p[\"nll_per_token\"])<1e-9)
"'
check "generate runs on the trained model" '"$BIN" generate --model "$T/a.gguf" --prompt "ROMEO:" --max-tokens 5 --temperature 0 --home "$T/home" --json > /dev/null 2>&1'

# DP-SGD: epsilon reported
check "DP-SGD run reports epsilon" '"$BIN" train "${COMMON[@]}" --steps 3 --dp-clip 1 --dp-noise 1.0 --out "$T/dp.gguf" --json 2>/dev/null | grep -q "\"dp_epsilon\""'
# usage errors
"$BIN" train --corpus x >/dev/null 2>&1
check "missing options are a usage error" '[ $? -eq 2 ]'
"$BIN" train "${COMMON[@]}" --tokenizer "$T/nope.gguf" --out "$T/x.gguf" 2> "$T/err"
check "a missing tokenizer file fails naming it" '[ $? -eq 1 ] && grep -q "nope.gguf" "$T/err"'
