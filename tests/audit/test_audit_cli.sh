#!/usr/bin/env bash
# test_audit_cli.sh - `steward audit` through the CLI: append/show/verify/prove/export,
# tamper detection naming the record, consistency between checkpoint files, retention and
# forgetting, and SIGKILL during heavy appends: no acknowledged record is lost.
. "$(dirname "$0")/../lib.sh"
S() { "$BIN" --home "$H" audit "$@"; }

# ---- basics
H=$T/basic
basics() {
  for i in $(seq 0 29); do echo "{\"i\":$i,\"verdict\":\"allow\"}"; done | S append >"$T/idx" || return 1
  [ "$(tr '\n' ' ' <"$T/idx")" = "$(seq 0 29 | tr '\n' ' ')" ] || return 1
  [ "$(S show 7)" = '{"i":7,"verdict":"allow"}' ] || return 1
  S show 7 --json | grep -q '"leaf_hash":"' || return 1
  S verify | grep -q '^ok: 30 records' || return 1
  S prove 12 | grep -q 'verified' || return 1
  S prove 12 --json | grep -q '"verified":true' || return 1
  [ "$(S export | wc -l)" = 30 ] || return 1
  S export --from 28 | head -1 | grep -q '"index":28' || return 1
  S show 30 2>/dev/null && return 1
  echo 'not json' | S append 2>"$T/err" && return 1
  grep -q 'line 1: not a JSON object' "$T/err" || return 1
  S bogus 2>/dev/null; [ $? = 2 ] || return 1
  S --help >"$T/help" || return 1
  grep -q 'usage: steward audit' "$T/help" || return 1
}
check_cmd cli_basics basics

# ---- verify names the first bad record after a flipped byte
tamper() {
  cp -r "$H" "$T/tampered"
  local seg=$T/tampered/audit/segment-000000.log
  # flip one byte inside record 17's text ("i":17 -> "i":07)
  $PY - "$seg" <<'PYEOF' || return 1
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read())
k = b.find(b'{"i":17,')
if k <= 0: sys.exit("record 17 not found in " + p)
b[k + 5] ^= 0x01
open(p, "wb").write(b)
PYEOF
  "$BIN" --home "$T/tampered" audit verify 2>"$T/err" && return 1
  grep -q 'record 17' "$T/err" || return 1
  "$BIN" --home "$T/tampered" audit verify --json 2>/dev/null | grep -q '"bad_record":17' || return 1
  # a doctored latest checkpoint fails verification too
  cp -r "$H" "$T/tampered2"
  sed -i '2s/.*/29/' "$T/tampered2/audit/checkpoint"
  "$BIN" --home "$T/tampered2" audit verify 2>"$T/err" && return 1
  grep -q 'signature does not verify' "$T/err" || return 1
}
check_cmd cli_verify_names_flipped_record tamper

# ---- consistency between two checkpoint files
consist() {
  S checkpoint >"$T/cp1.note" || return 1
  for i in $(seq 30 40); do echo "{\"i\":$i}"; done | S append >/dev/null || return 1
  S checkpoint >"$T/cp2.note" || return 1
  S consistency "$T/cp1.note" "$T/cp2.note" | grep -q 'verified' || return 1
  S consistency 30 41 --json | grep -q '"verified":true' || return 1
  # a proof against a checkpoint that the caller holds
  S prove 5 --checkpoint "$T/cp1.note" --json | grep -q '"size":30,' || return 1
  S prove 35 --checkpoint "$T/cp1.note" 2>/dev/null && return 1
  # a forged checkpoint (root changed) is rejected
  sed '3s/^./A/' "$T/cp2.note" >"$T/bad.note"
  cmp -s "$T/cp2.note" "$T/bad.note" && sed '3s/^./B/' "$T/cp2.note" >"$T/bad.note"
  S consistency "$T/cp1.note" "$T/bad.note" 2>/dev/null && return 1
  return 0
}
check_cmd cli_consistency_between_checkpoints consist

# ---- retention: content kept encrypted, forgotten on request, records still verify
retain() {
  echo '{"type":"generation","content":"secret output text"}' | S append --retain >"$T/r" || return 1
  local n; n=$(cat "$T/r")
  [ "$(S recall "$n")" = "secret output text" ] || return 1
  S show "$n" | grep -q '"content_sha256"' || return 1
  grep -rq 'secret output' "$H/audit" && return 1
  S forget --record "$n" | grep -q 'of 1 record' || return 1
  S recall "$n" 2>"$T/err" && return 1
  grep -q 'forgotten' "$T/err" || return 1
  S forget --json | grep -q '"forgotten":0' || return 1
  S verify | grep -q '^ok:' || return 1
}
check_cmd cli_retention_forget retain

# ---- lineage events and key rotation from the CLI
lineage() {
  echo "rows" >"$T/data.jsonl"; echo "weights" >"$T/model.bin"
  local dh mh; dh=$(sha256sum "$T/data.jsonl" | cut -d' ' -f1); mh=$(sha256sum "$T/model.bin" | cut -d' ' -f1)
  local n; n=$(S lineage train "in:dataset=$T/data.jsonl" "out:model=$T/model.bin" --principal alice --details '{"steps":10}') || return 1
  S show "$n" >"$T/rec" || return 1
  grep -q '"event":"train"' "$T/rec" && grep -q "$dh" "$T/rec" && grep -q "$mh" "$T/rec" || return 1
  S lineage policy "in:policy=$T/missing.yaml" 2>/dev/null && return 1
  S checkpoint >"$T/before.note" || return 1
  S rotate-key --principal admin | grep -q 'key change recorded' || return 1
  ls "$H"/keys/audit.pub.* >/dev/null || return 1
  # checkpoints signed by the old key still verify, and link to the new ones
  S consistency "$T/before.note" "$(S checkpoint --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["size"])')" | grep -q verified || return 1
  S verify | grep -q '^ok:' || return 1
}
check_cmd cli_lineage_and_key_rotation lineage

# ---- SIGKILL during heavy appends: every acknowledged record survives
H=$T/kill
sigkill() {
  local start=0
  for round in 1 2 3; do
    $PY -c "
import sys
w = sys.stdout.write
for i in range(10**7):
    w('{\"round\":$round,\"n\":%d,\"pad\":\"%s\"}\n' % (i, 'x' * (i % 50)))
" 2>/dev/null | "$BIN" --home "$H" audit append >"$T/acked.$round" 2>"$T/append.$round.err" &
    local pid=$!
    sleep 1.5
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    local acked; acked=$(wc -l <"$T/acked.$round")
    [ "$acked" -gt 0 ] || { echo "round $round: nothing acknowledged"; return 1; }
    # a writer open recovers (re-indexes / cuts a torn tail), then everything verifies
    S checkpoint >/dev/null 2>"$T/recover.$round" || { cat "$T/recover.$round"; return 1; }
    S verify || return 1
    S export --from "$start" >"$T/export.$round" || return 1
    $PY - "$T/acked.$round" "$T/export.$round" "$start" "$round" <<'PYEOF' || return 1
import json, sys
check = lambda c, *why: c or sys.exit(repr(why))  # not assert: PYTHONOPTIMIZE drops those
# an acknowledgement is a newline-terminated line: a kill may cut the last one short
acked = [int(x) for x in open(sys.argv[1]).read().split("\n")[:-1]]
start, rnd = int(sys.argv[3]), int(sys.argv[4])
recs = {}
for line in open(sys.argv[2]):
    o = json.loads(line)
    recs[o["index"]] = o["record"]
check(acked == list(range(start, start + len(acked))), "acknowledged indices not contiguous")
for i in acked:
    r = recs.get(i)
    check(r is not None, "acknowledged record %d lost" % i)
    check(r["round"] == rnd and r["n"] == i - start, "record %d holds %r" % (i, r))
print("round %d: %d acknowledged, %d present after recovery" % (rnd, len(acked), len(recs)))
PYEOF
    start=$(( start + $(wc -l <"$T/export.$round") ))
  done
}
check_cmd cli_sigkill_loses_no_acknowledged_record sigkill
grep -h "^round\|torn" "$T/check.log" "$T"/recover.* 2>/dev/null | sed "s/^/# /"
exit $((fails > 0))
