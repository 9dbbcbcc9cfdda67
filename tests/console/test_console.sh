#!/usr/bin/env bash
# test_console.sh - the console (GET /console) end to end in headless Chromium, driven by
# playwright-core (tests/console/console_e2e.mjs), against a real `steward serve` on a free
# loopback port with its own state and admin, reviewer and user keys. Skips only when no
# chromium is installed; screenshots go to $STEWARD_ROOT/build/test-logs/console/.
set -u
cd "$(dirname "$0")"
BIN=${STEWARD_BIN:-../../build/asan/steward}
ROOT=${STEWARD_ROOT:-$(cd ../.. && pwd)}
CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}
if [ -z "$CHROMIUM" ]; then
  echo "ok 1 - # SKIP chromium not installed (make setup installs it)"; exit 0
fi
export CHROMIUM
if [ ! -d node_modules/playwright-core ]; then
  echo "not ok 1 - playwright-core is not installed in tests/console (make setup installs it)"; exit 1
fi
export STEWARD_HOME=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$STEWARD_HOME"; }
trap cleanup EXIT
key() { "$BIN" keys add --role "$1" --name "$2" | awk '{print $NF}'; }
ADMIN=$(key admin console-admin); REVIEWER=$(key reviewer console-reviewer); USER_KEY=$(key user console-user)
[ -n "$ADMIN" ] && [ -n "$REVIEWER" ] && [ -n "$USER_KEY" ] || { echo "not ok 1 - keys add"; exit 1; }
# a policy that holds any request naming an e-mail address for review
printf 'pii:EMAIL_ADDRESS input review\n*  flag\n' >"$STEWARD_HOME/console.policy"
"$BIN" serve --port 0 --access-log off --chat-template chatml --policy "$STEWARD_HOME/console.policy" \
  2>"$STEWARD_HOME/serve.err" &
PID=$!
PORT=
for _ in $(seq 1200); do
  PORT=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$STEWARD_HOME/serve.err" | grep -o '[0-9]*$')
  [ -n "$PORT" ] && break
  kill -0 "$PID" 2>/dev/null || break
  sleep 0.1
done
[ -n "$PORT" ] || { echo "not ok 1 - server start"; cat "$STEWARD_HOME/serve.err"; exit 1; }
OUT="$ROOT/${STEWARD_BUILD:-build}/test-logs/console"
timeout 300 node console_e2e.mjs "http://127.0.0.1:$PORT" "$ADMIN" "$REVIEWER" "$USER_KEY" "$OUT"
rc=$?
kill -TERM "$PID"; wait "$PID"; PID=
exit $rc
