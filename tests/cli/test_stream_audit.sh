#!/usr/bin/env bash
# test_stream_audit.sh - no streamed text leaves without an audit record: a streamed
# generation appends a durable "generation_started" record (same content id as the
# final record) before its first byte; when the log cannot take that record (a full
# disk, simulated with ulimit -f under the segment's size), nothing is printed.
. "$(dirname "$0")/../lib.sh"

$PY "$ROOT/tests/oracle/make_model.py" "$T/m.gguf" >/dev/null || { nok "make model"; exit 1; }
GEN=(generate --model "$T/m.gguf" --threads 1 --prompt "hello world" --max-tokens 16 --seed 3)

$BIN "${GEN[@]}" >"$T/out" 2>"$T/err"
check "streamed generate exits 0" "[ $? -eq 0 ] && [ -s $T/out ]"
$BIN audit export >"$T/log.jsonl" 2>>"$T/err"
$PY - "$T/log.jsonl" >"$T/check" <<'PYEOF'
import json, sys
recs = [json.loads(l)["record"] for l in open(sys.argv[1])]
started = [r for r in recs if r.get("type") == "generation_started"]
final = [r for r in recs if r.get("type") == "generation"]
ok = (len(started) == 1 and len(final) == 1 and started[0]["content_id"] == final[0]["content_id"]
      and recs.index(started[0]) < recs.index(final[0]) and started[0]["prompt_sha256"] == final[0]["prompt_sha256"])
print("yes" if ok else "no: %r" % [r.get("type") for r in recs])
PYEOF
check "a started record precedes the final one, same content id" "[ \"\$(cat $T/check)\" = yes ]"

# --json withholds everything until the end: no started record is needed there
$BIN "${GEN[@]}" --json >/dev/null 2>>"$T/err"
n=$($BIN audit export | grep -c '"generation_started"')
check "--json appends no started record" "[ $n -eq 1 ]"

# a full disk: the segment may not grow; the started record cannot be written
seg=$(stat -c %s "$STEWARD_HOME"/audit/segment-000000.log)
( trap '' XFSZ; ulimit -f $((seg / 1024)); exec $BIN "${GEN[@]}" ) >"$T/full.out" 2>"$T/full.err"
rc=$?
check "full disk: generate fails" "[ $rc -ne 0 ]"
check "full disk: no text was delivered" "[ ! -s $T/full.out ]"
check "full disk: the error names the audit log" "grep -qi 'audit\|write\|large\|space' $T/full.err"
$BIN audit verify >/dev/null 2>&1
check "the log still verifies" "[ $? -eq 0 ]"
[ $fails -eq 0 ]
