#!/usr/bin/env bash
# test_console.sh - the console (GET /console) end to end in headless Chromium, driven by
# playwright-core (tests/console/console_e2e.mjs), against a real `steward serve` on a free
# loopback port with its own state and admin, reviewer and user keys. Skips only when no
# chromium is installed; screenshots go to $STEWARD_ROOT/build/test-logs/console/.
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")"
CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}
if [ -z "$CHROMIUM" ]; then
  echo "ok 1 - # SKIP chromium not installed (make setup installs it)"; exit 0
fi
export CHROMIUM
if [ ! -d node_modules/playwright-core ]; then
  echo "not ok 1 - playwright-core is not installed in tests/console (make setup installs it)"; exit 1
fi
key() { "$BIN" keys add --role "$1" --name "$2" | awk '{print $NF}'; }
ADMIN=$(key admin console-admin); REVIEWER=$(key reviewer console-reviewer); USER_KEY=$(key user console-user)
[ -n "$ADMIN" ] && [ -n "$REVIEWER" ] && [ -n "$USER_KEY" ] || { echo "not ok 1 - keys add"; exit 1; }
# a policy that holds any request naming an e-mail address for review
printf 'pii:EMAIL_ADDRESS input review\n*  flag\n' >"$STEWARD_HOME/console.policy"
serve_start --chat-template chatml --policy "$STEWARD_HOME/console.policy" || { echo "not ok 1 - server start"; exit 1; }
OUT="$ROOT/${STEWARD_BUILD:-build}/test-logs/console"
timeout 300 node console_e2e.mjs "http://127.0.0.1:$PORT" "$ADMIN" "$REVIEWER" "$USER_KEY" "$OUT"
rc=$?
serve_stop
exit $rc
