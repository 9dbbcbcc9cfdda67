#!/usr/bin/env bash
# Trains steward's default model from data/corpus/ (see docs/training.md), in two phases:
#   phase 1: 900 steps from a random initialisation (seed 1)            -> build/train-default/
#   phase 2: 600 more steps from phase 1's final weights, a new cosine  -> build/train-default/phase2/
#            schedule and seed 2; writes models/default.gguf and models/default.md
# Resumable: run it again and each phase continues from its checkpoint (a finished phase
# only re-exports). Environment: THREADS=N, MAX_SECONDS=S (stop and checkpoint), OUTDIR.
set -euo pipefail
cd "$(dirname "$0")/.."
OUTDIR=${OUTDIR:-build/train-default}
MODEL_OUT=${MODEL_OUT:-models/default.gguf}
CARD_OUT=${CARD_OUT:-models/default.md}
mkdir -p "$OUTDIR/phase2" models
# Sleep rather than spin at OpenMP barriers: on a machine shared with other work a
# spinning thread burns CPU that the other thread (or another user) needs.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
export STEWARD_GIT_COMMIT=${STEWARD_GIT_COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
# A private copy of the binary per phase: rebuilding ./steward must not touch a running
# job, and the copy's hash is the code version recorded in the model.
private() { # dir: copies ./steward there unless a run in dir has begun; prints its path
  if [ -n "${STEWARD:-}" ]; then echo "$STEWARD"; return; fi
  if [ ! -x "$1/steward" ] || [ ! -f "$1/checkpoint.bin" ]; then cp ./steward "$1/steward"; fi
  echo "$1/steward"
}
CORPUS=data/corpus/tinyshakespeare
TOK=models/default-tokenizer.gguf
if [ ! -f "$TOK" ]; then
  ./steward tokenizer train --input "$CORPUS/train.txt" --vocab-size 1024 --out "$TOK"
fi
COMMON=(--corpus "$CORPUS/train.txt" --val "$CORPUS/val.txt" --tokenizer "$TOK"
        --manifest data/corpus/MANIFEST.json --name steward-shakespeare-0.9m
        --checkpoint-every 120 --eval-every 100 --eval-seqs 64 --json)
[ -n "${THREADS:-}" ] && COMMON+=(--threads "$THREADS")
[ -n "${MAX_SECONDS:-}" ] && COMMON+=(--max-seconds "$MAX_SECONDS")

# Phase 1 (the configuration of the default model; docs/training.md says why).
# Skipped once its model exists.
P1=(--checkpoint "$OUTDIR/checkpoint.bin" --out "$OUTDIR/phase1.gguf" --card "$OUTDIR/phase1.md")
S1=$(private "$OUTDIR")
if [ -f "$OUTDIR/phase1.gguf" ]; then
  :
elif [ -f "$OUTDIR/checkpoint.bin" ]; then
  "$S1" train "${COMMON[@]}" "${P1[@]}" --resume
else
  "$S1" train "${COMMON[@]}" "${P1[@]}" \
    --layers 4 --embd 128 --heads 4 --kv-heads 2 --ff 384 --ctx 128 \
    --batch 8 --accum 1 --steps 900 --warmup 30 --lr 2e-3 --lr-min 2e-4 --weight-decay 0.1 --clip 1 --seed 1
fi

# Phase 2: from phase 1's final weights.
P2=(--checkpoint "$OUTDIR/phase2/checkpoint.bin" --init-from "$OUTDIR/checkpoint.bin"
    --out "$MODEL_OUT" --card "$CARD_OUT")
S2=$(private "$OUTDIR/phase2")
if [ -f "$OUTDIR/phase2/checkpoint.bin" ]; then
  exec "$S2" train "${COMMON[@]}" "${P2[@]}" --resume
fi
exec "$S2" train "${COMMON[@]}" "${P2[@]}" \
  --batch 8 --accum 1 --steps 600 --warmup 20 --lr 8e-4 --lr-min 5e-5 --weight-decay 0.1 --clip 1 --seed 2
