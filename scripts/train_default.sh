#!/usr/bin/env bash
# Trains steward's default model from data/corpus/ (see docs/training.md). Resumable:
# run it again and it continues from build/train-default/checkpoint.bin. Writes
# models/default.gguf and models/default.md when the schedule is complete.
#   THREADS=N  (default: all cores)    MAX_SECONDS=S  stop (and checkpoint) after S seconds
#   OUTDIR=DIR where checkpoints and logs go (default build/train-default)
set -euo pipefail
cd "$(dirname "$0")/.."
OUTDIR=${OUTDIR:-build/train-default}
MODEL_OUT=${MODEL_OUT:-models/default.gguf}
CARD_OUT=${CARD_OUT:-models/default.md}
mkdir -p "$OUTDIR" models
# Sleep rather than spin at OpenMP barriers: on a machine shared with other work a
# spinning thread burns CPU that the other thread (or another user) needs.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
export STEWARD_GIT_COMMIT=${STEWARD_GIT_COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
# A private copy of the binary: rebuilding ./steward must not touch a running job, and
# the copy's hash is the code version recorded in the model.
if [ -z "${STEWARD:-}" ]; then
  if [ ! -x "$OUTDIR/steward" ] || [ ! -f "$OUTDIR/checkpoint.bin" ]; then cp ./steward "$OUTDIR/steward"; fi
  STEWARD=$OUTDIR/steward
fi
CORPUS=data/corpus/tinyshakespeare
TOK=models/default-tokenizer.gguf
if [ ! -f "$TOK" ]; then
  "$STEWARD" tokenizer train --input "$CORPUS/train.txt" --vocab-size 1024 --out "$TOK"
fi
ARGS=(--corpus "$CORPUS/train.txt" --val "$CORPUS/val.txt" --tokenizer "$TOK"
      --manifest data/corpus/MANIFEST.json --out "$MODEL_OUT" --card "$CARD_OUT"
      --name steward-shakespeare-0.9m --checkpoint "$OUTDIR/checkpoint.bin" --checkpoint-every 120
      --eval-every 100 --eval-seqs 64)
[ -n "${THREADS:-}" ] && ARGS+=(--threads "$THREADS")
[ -n "${MAX_SECONDS:-}" ] && ARGS+=(--max-seconds "$MAX_SECONDS")
if [ -f "$OUTDIR/checkpoint.bin" ]; then
  exec "$STEWARD" train "${ARGS[@]}" --resume --json
fi
# The configuration of the default model (docs/training.md says why).
exec "$STEWARD" train "${ARGS[@]}" --json \
  --layers 4 --embd 128 --heads 4 --kv-heads 2 --ff 384 --ctx 128 \
  --batch 8 --accum 1 --steps 900 --warmup 30 --lr 2e-3 --lr-min 2e-4 --weight-decay 0.1 --clip 1 --seed 1
