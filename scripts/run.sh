#!/usr/bin/env bash
# The main job of `make run`: one generation through the whole pipeline on the default
# model (models/ in this repository; generated on first use until the trained model ships).
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${STEWARD_MODEL:-}
if [ -z "$MODEL" ]; then
  if [ -f models/default.gguf ]; then MODEL=models/default.gguf
  else
    MODEL=build/demo.gguf
    [ -f "$MODEL" ] || ./steward model demo "$MODEL"
  fi
fi
./steward generate --model "$MODEL" --prompt "${PROMPT:-Once upon a time}" --max-tokens "${MAX_TOKENS:-64}" --seed 1
