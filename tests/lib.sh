# lib.sh - what the shell tests share; each sources it first (. "$(dirname "$0")/../lib.sh"):
# BIN (the steward under test: $STEWARD_BIN, else the ASan build), ROOT (the repository:
# $STEWARD_ROOT, else the one holding this file), PY (Debian's python3), a scratch
# directory $T removed at exit (kept when KEEP_TMP is set) with STEWARD_HOME=$T/home in it,
# and the TAP helpers: ok NAME, nok NAME (counted in $fails), check NAME 'COMMAND' (ok when
# the command, evaluated, succeeds), check_cmd NAME COMMAND [ARGS...] (the same for a command
# run as given, its output shown only when it fails), skip NAME WHY. A test ends with
# `exit $((fails > 0))`.
# at_exit 'COMMAND' runs COMMAND at exit, before the scratch directory goes.
set -u
ROOT=${STEWARD_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BIN=${STEWARD_BIN:-$ROOT/build/asan/steward}
PY=/usr/bin/python3
T=$(mktemp -d)
export STEWARD_HOME="$T/home"
fails=0
SW_AT_EXIT=
at_exit() { SW_AT_EXIT+="$1"$'\n'; }
sw_exit() {
  eval "$SW_AT_EXIT"
  [ -n "${KEEP_TMP:-}" ] || rm -rf "$T"
}
trap sw_exit EXIT
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else nok "$1"; fi; }
skip() { echo "ok - $1 # SKIP $2"; }
# check_cmd: the output goes to $T/check.log; its last 20 lines are shown, indented, on failure.
check_cmd() {
  local name=$1; shift
  if "$@" >"$T/check.log" 2>&1; then ok "$name"; else nok "$name"; tail -n 20 "$T/check.log" | sed 's/^/    /'; fi
}

# serve_start ARGS...: `$BIN serve --port 0 --access-log off ARGS` in the background, its
# stderr in $STEWARD_HOME/serve.err; sets PORT once it listens (up to 120 s) and SW_PID.
# Returns 1, with the server's stderr printed, when it did not start. Killed at exit.
SW_PID=
serve_start() {
  mkdir -p "$STEWARD_HOME"
  "$BIN" serve --port 0 --access-log off "$@" 2>"$STEWARD_HOME/serve.err" &
  SW_PID=$!
  at_exit '[ -n "$SW_PID" ] && kill -9 "$SW_PID" 2>/dev/null'
  PORT=
  for _ in $(seq 1200); do
    PORT=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$STEWARD_HOME/serve.err" | grep -o '[0-9]*$')
    [ -n "$PORT" ] && return 0
    kill -0 "$SW_PID" 2>/dev/null || break
    sleep 0.1
  done
  cat "$STEWARD_HOME/serve.err"
  return 1
}
# serve_stop: SIGTERM to the server of serve_start, and waits for it.
serve_stop() { kill -TERM "$SW_PID"; wait "$SW_PID"; SW_PID=; }
