#!/usr/bin/env bash
# Builds steward's chat model through the data pipeline (docs/data.md, "The chat model"):
#   1. data/chat/conversations.jsonl (scripts/chat_corpus.py; committed) through
#      `steward data build` with data/policy/chat.policy -> run/chat/data/ (clean.jsonl,
#      lineage.jsonl, stats.json, card.md; a lineage record in the audit log)
#   2. the kept conversations split 19:1 into run/chat/train.txt and run/chat/val.txt,
#      with run/chat/MANIFEST.json (hashes of the build's outputs and of the splits)
#   3. a 2,048-token BPE vocabulary with ChatML's control tokens and template
#   4. `steward train` (niced, one thread, checkpoints every 2 minutes) -> models/chat.gguf
#      and models/chat.md
# Resumable: run it again and training continues from run/chat/checkpoint.bin (steps 1-3
# are skipped once their outputs exist). Environment: THREADS (default 1), MAX_SECONDS
# (stop and checkpoint), EXPORT_ONLY=1 (write the GGUF of the checkpoint as it is), STEWARD
# (the binary; default a private copy in run/chat),
# STEWARD_HOME (audit log of the records).
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${RUN:-run/chat}
MODEL_OUT=${MODEL_OUT:-models/chat.gguf}
CARD_OUT=${CARD_OUT:-models/chat.md}
mkdir -p "$RUN"
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
export STEWARD_GIT_COMMIT=${STEWARD_GIT_COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
# a private copy of the binary: rebuilding ./steward must not touch a running job
[ -x "$RUN/steward" ] && [ -f "$RUN/checkpoint.bin" ] || cp ./steward "$RUN/steward"
S=${STEWARD:-$RUN/steward} # STEWARD=./steward: e.g. to export with a newer binary
[ -f data/chat/conversations.jsonl ] || python3 scripts/chat_corpus.py --out data/chat/conversations.jsonl

if [ ! -f "$RUN/data/clean.jsonl" ]; then
  "$S" data build --policy data/policy/chat.policy --threads "${THREADS:-1}" --quiet --out "$RUN/data" \
    data/chat/conversations.jsonl > "$RUN/data-build.json"
fi

if [ ! -f "$RUN/MANIFEST.json" ]; then
  python3 - "$RUN" <<'PY'
import hashlib, json, sys
run = sys.argv[1]
h = lambda p: hashlib.sha256(open(p, 'rb').read()).hexdigest()
texts = [json.loads(l)["text"] for l in open(run + "/data/clean.jsonl", encoding="utf-8")]
val = [t for i, t in enumerate(texts) if i % 20 == 19]
train = [t for i, t in enumerate(texts) if i % 20 != 19]
for name, part in (("train", train), ("val", val)):
    open("%s/%s.txt" % (run, name), "w", encoding="utf-8").write("".join(part))
build = json.load(open(run + "/data-build.json"))
man = {
  "name": "steward-chat-corpus", "version": 1,
  "built_by": "steward data build --policy data/policy/chat.policy data/chat/conversations.jsonl",
  "input": {"path": "data/chat/conversations.jsonl", "sha256": h("data/chat/conversations.jsonl")},
  "policy_sha256": h("data/policy/chat.policy"),
  "audit_index": build.get("audit_index"),
  "outputs": {f: h("%s/data/%s" % (run, f)) for f in ("clean.jsonl", "lineage.jsonl", "stats.json", "card.md")},
  "split": "conversations of clean.jsonl in order; every 20th to validation; concatenated (each ends with <|im_end|> and a newline)",
  "train": {"conversations": len(train), "sha256": h(run + "/train.txt")},
  "val": {"conversations": len(val), "sha256": h(run + "/val.txt")},
}
json.dump(man, open(run + "/MANIFEST.json", "w"), indent=2)
PY
fi

TOK=models/chat-tokenizer.gguf
[ -f "$TOK" ] || "$S" tokenizer train --input "$RUN/train.txt" --vocab-size 2048 --chat-template chatml --out "$TOK"

COMMON=(--corpus "$RUN/train.txt" --val "$RUN/val.txt" --tokenizer "$TOK" --manifest "$RUN/MANIFEST.json"
        --name steward-chat-1m --checkpoint "$RUN/checkpoint.bin" --out "$MODEL_OUT" --card "$CARD_OUT"
        --card-about data/chat/model-about.md --license "MIT (weights); training data Apache-2.0 and MIT (data/chat/SOURCE.md)"
        --checkpoint-every 120 --eval-every 100 --eval-seqs 32 --threads "${THREADS:-1}" --json)
[ -n "${MAX_SECONDS:-}" ] && COMMON+=(--max-seconds "$MAX_SECONDS")
if [ -f "$RUN/checkpoint.bin" ]; then
  [ -n "${EXPORT_ONLY:-}" ] && COMMON+=(--export-only)
  exec nice -n 19 "$S" train "${COMMON[@]}" --resume
fi
exec nice -n 19 "$S" train "${COMMON[@]}" \
  --layers 4 --embd 128 --heads 4 --kv-heads 2 --ff 384 --ctx 256 \
  --batch 8 --accum 1 --steps 400 --warmup 20 --lr 2e-3 --lr-min 1e-4 --weight-decay 0.1 --clip 1 --seed 1
