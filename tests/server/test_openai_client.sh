#!/usr/bin/env bash
# test_openai_client.sh - the official npm `openai` client (tests/server/openai_client.mjs),
# unchanged, against a real `steward serve` on a free loopback port with its own state.
set -u
cd "$(dirname "$0")"
BIN=${STEWARD_BIN:-../../build/asan/steward}
if [ ! -d node_modules/openai ]; then
  echo "ok 1 - # SKIP npm openai not installed (make setup installs it)"; exit 0
fi
export STEWARD_HOME=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$STEWARD_HOME"; }
trap cleanup EXIT
KEY=$("$BIN" keys add --role user --name openai-client | awk '{print $NF}')
[ -n "$KEY" ] || { echo "not ok 1 - keys add"; exit 1; }
"$BIN" serve --port 0 --access-log off --chat-template chatml --parallel 4 2>"$STEWARD_HOME/serve.err" &
PID=$!
PORT=
for _ in $(seq 1200); do
  PORT=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$STEWARD_HOME/serve.err" | grep -o '[0-9]*$')
  [ -n "$PORT" ] && break
  kill -0 "$PID" 2>/dev/null || break
  sleep 0.1
done
[ -n "$PORT" ] || { echo "not ok 1 - server start"; cat "$STEWARD_HOME/serve.err"; exit 1; }
timeout 300 node openai_client.mjs "http://127.0.0.1:$PORT/v1" "$KEY"
rc=$?
kill -TERM "$PID"; wait "$PID"; PID=
exit $rc
