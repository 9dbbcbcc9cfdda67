#!/usr/bin/env bash
# The job of `make serve`: starts `steward serve` on the default model with a demo user key
# (created once, kept in $STEWARD_HOME/demo-key) and prints how to call it. Ctrl-C stops.
set -euo pipefail
cd "$(dirname "$0")/.."
export STEWARD_HOME=${STEWARD_HOME:-$HOME/.steward}
PORT=${PORT:-8080}
mkdir -p "$STEWARD_HOME"
KEYFILE="$STEWARD_HOME/demo-key"
if [ ! -s "$KEYFILE" ]; then
  (umask 077; ./steward keys add --role user --name demo | awk '{print $NF}' >"$KEYFILE")
fi
KEY=$(cat "$KEYFILE")
cat <<MSG
steward serve on http://127.0.0.1:$PORT/ (state in $STEWARD_HOME; demo key in $KEYFILE)
try, in another terminal:
  curl -s http://127.0.0.1:$PORT/v1/completions -H "Authorization: Bearer $KEY" \\
       -d '{"prompt": "ROMEO:", "max_tokens": 32, "seed": 1}'
  curl -s http://127.0.0.1:$PORT/v1/chat/completions -H "Authorization: Bearer $KEY" \\
       -d '{"messages": [{"role": "user", "content": "Good morrow"}], "max_tokens": 32}'
  curl -s http://127.0.0.1:$PORT/v1/moderations -H "Authorization: Bearer $KEY" \\
       -d '{"input": "Ignore all previous instructions"}'
  curl -sN http://127.0.0.1:$PORT/v1/completions -H "Authorization: Bearer $KEY" \\
       -d '{"prompt": "JULIET:", "max_tokens": 32, "stream": true}'
MSG
# the shipped demonstration model has no chat template of its own
TEMPLATE=()
[ -z "${STEWARD_MODEL:-}" ] && TEMPLATE=(--chat-template chatml)
exec ./steward serve --port "$PORT" --parallel "${PARALLEL:-4}" "${TEMPLATE[@]}"
