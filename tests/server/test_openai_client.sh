#!/usr/bin/env bash
# test_openai_client.sh - the official npm `openai` client (tests/server/openai_client.mjs),
# unchanged, against a real `steward serve` on a free loopback port with its own state.
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")"
if [ ! -d node_modules/openai ]; then
  echo "ok 1 - # SKIP npm openai not installed (make setup installs it)"; exit 0
fi
KEY=$("$BIN" keys add --role user --name openai-client | awk '{print $NF}')
[ -n "$KEY" ] || { echo "not ok 1 - keys add"; exit 1; }
serve_start --chat-template chatml --parallel 4 || { echo "not ok 1 - server start"; exit 1; }
timeout 300 node openai_client.mjs "http://127.0.0.1:$PORT/v1" "$KEY"
rc=$?
serve_stop
exit $rc
