#!/usr/bin/env bash
# test_audit_lock.sh - the audit log has one writer at a time across processes (README):
# a second `steward generate` started while one runs fails at once, naming the process
# that holds the lock; once that process is gone the log opens again.
. "$(dirname "$0")/../lib.sh"
first=""
at_exit '[ -n "$first" ] && kill "$first" 2>/dev/null; wait 2>/dev/null'
M="$ROOT/models/default.gguf"
GEN=(generate --model "$M" --threads 1 --prompt "the" --json)

"$BIN" keygen >/dev/null || { nok "keygen"; exit 1; }
# the first writer: a long generation (it is killed below)
"$BIN" "${GEN[@]}" --max-tokens 1000000 --ignore-eos >/dev/null 2>"$T/err1" &
first=$!
lock="$STEWARD_HOME/audit/lock"
for _ in $(seq 300); do # up to 30 s for it to open the log
  [ "$(cat "$lock" 2>/dev/null)" = "$first" ] && break
  kill -0 "$first" 2>/dev/null || break
  sleep 0.1
done
check "the first generate holds the lock (pid $first in $lock)" "[ \"\$(cat '$lock' 2>/dev/null)\" = '$first' ]"

t0=$(date +%s%N)
timeout 60 "$BIN" "${GEN[@]}" --max-tokens 4 >"$T/out2" 2>"$T/err2"
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "a second generate fails (exit 1)" "[ $rc -eq 1 ]"
check "it fails at once (${ms} ms, want < 5000)" "[ $ms -lt 5000 ]"
check "its message names the process holding the lock" "grep -q 'pid $first' '$T/err2' || { cat '$T/err2' >&2; false; }"
check "the first generate is still running" "kill -0 $first 2>/dev/null"

"$BIN" audit append <<<'{"note":"second writer"}' >/dev/null 2>"$T/err3"
check "audit append: also refused while the lock is held, naming the pid" "[ $? -ne 0 ] && grep -q 'pid $first' '$T/err3'"

kill "$first" 2>/dev/null
wait "$first" 2>/dev/null
first=""
"$BIN" "${GEN[@]}" --max-tokens 4 >"$T/out4" 2>"$T/err4"
check "after the first process ends, generate opens the log (a stale pid in the file does not block)" "[ $? -eq 0 ] || { cat '$T/err4' >&2; false; }"
"$BIN" audit verify >/dev/null 2>"$T/err5"
check "the log verifies after the killed writer" "[ $? -eq 0 ] || { cat '$T/err5' >&2; false; }"
exit $((fails > 0))
