#!/usr/bin/env bash
# tests/guard/test_eval_pii.sh - `steward eval pii`: figures per type on the project's
# Chinese set (table and --json), redaction of names, addresses and dates of birth through
# `scan`, and errors naming the file and record. Needs $STEWARD_BIN (tests/run.sh sets it).
. "$(dirname "$0")/../lib.sh"
export STEWARD_DATA="$ROOT/data"

"$BIN" eval pii --data "$ROOT/tests/data/pii-zh-synth.json" > "$T/table.txt"
check "table exit 0" "[ $? -eq 0 ]"
check "table lists structured and unstructured types" "grep -q '^PHONE_NUMBER *structured' $T/table.txt && grep -q '^PERSON *unstructured' $T/table.txt"
"$BIN" eval pii --data "$ROOT/tests/data/pii-zh-synth.json" --json > "$T/r.json"
check "json figures" "$PY - $T/r.json <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
t = r['types']
assert r['texts'] > 300, r['texts']
assert t['PERSON']['precision'] >= 0.95 and t['PERSON']['recall'] >= 0.7, t['PERSON']
assert t['ADDRESS']['recall'] >= 0.95 and t['DATE_TIME']['recall'] >= 0.95, t
assert t['CN_RESIDENT_ID']['f1'] >= 0.95, t['CN_RESIDENT_ID']
PYEOF"

out=$(printf '我叫张伟，住在北京市海淀区中关村大街27号，出生于1990年5月12日。George Washington was president.' | "$BIN" scan --json)
check "scan redacts the name, address and birth date, keeps the president" "echo '$out' | $PY -c '
import json,sys
o=json.load(sys.stdin); r=o[\"redacted\"]
assert \"张伟\" not in r and \"中关村\" not in r and \"1990年\" not in r, r
assert \"<PERSON_\" in r and \"<ADDRESS_\" in r and \"<DATE_OF_BIRTH>\" in r, r
assert \"George Washington was president\" in r, r'"

"$BIN" eval pii > /dev/null 2>&1
check "no --data: usage error 2" "[ $? -eq 2 ]"
printf '[{"full_text": "x", "spans": [{"entity_type": "PERSON", "start_position": "a", "end_position": 1}]}]' > "$T/bad.json"
"$BIN" eval pii --data "$T/bad.json" 2> "$T/err.txt"
check "bad record: exit 1 naming file and record" "[ $? -eq 1 ] && grep -q 'bad.json: record 0 span 0' $T/err.txt"
exit $((fails > 0))
