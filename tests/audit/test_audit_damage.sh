#!/usr/bin/env bash
# test_audit_damage.sh - the audit log under hostile state: one damaged state directory per
# defect of issue 13 (generated here, kept with KEEP_DAMAGED=DIR), each replayed through the
# CLI. Every case failed before its fix: a second writer after the lock file was deleted, a
# flipped tree-file byte signed into a checkpoint, recovery cutting acknowledged records, an
# edited format file, a record claiming another record's retention slot, an empty checkpoint,
# and errors without a line number or a way forward.
. "$(dirname "$0")/../lib.sh"
# check_case NAME FN: check_cmd, then the case's state directory copied under $KEEP_DAMAGED when set
check_case() {
  check_cmd "$@"
  if [ -n "${KEEP_DAMAGED:-}" ] && [ -d "$T/$1" ]; then mkdir -p "$KEEP_DAMAGED"; cp -r "$T/$1" "$KEEP_DAMAGED/"; fi
}
S() { "$BIN" --home "$H" audit "$@"; }
records() { # N [FIRST]: N JSON lines
  $PY -c "import sys
f = int(sys.argv[2]) if len(sys.argv) > 2 else 0
for i in range(f, f + int(sys.argv[1])): print('{\"i\":%d,\"pad\":\"%s\"}' % (i, 'x' * (i % 13)))" "$@"
}
flip() { # FILE OFFSET: xor one byte
  $PY -c "import sys
p, o = sys.argv[1], int(sys.argv[2]); b = bytearray(open(p, 'rb').read()); b[o] ^= 0x5a; open(p, 'wb').write(b)" "$1" "$2"
}
base1000() { # a log of 1,000 acknowledged records in $H
  records 1000 | S append >"$T/acked" || return 1
  [ "$(wc -l <"$T/acked")" = 1000 ] || return 1
}

# ---- 1: the lock file deleted under a writer must not admit a second one
lock_deleted() {
  H=$T/lock_deleted
  (for i in $(seq 0 39); do echo "{\"slow\":$i}"; sleep 0.1; done) | S append >"$T/a1" 2>"$T/e1" &
  local p1=$!
  for _ in $(seq 50); do [ -s "$T/a1" ] && break; sleep 0.1; done
  [ -s "$T/a1" ] || { echo "first writer never acknowledged"; return 1; }
  rm -f "$H/audit/lock"
  records 25 | S append >"$T/a2" 2>"$T/e2" && { echo "second writer was admitted"; return 1; }
  grep -q 'open for writing by another process' "$T/e2" || { cat "$T/e2"; return 1; }
  [ ! -s "$T/a2" ] || return 1
  wait "$p1" || { cat "$T/e1"; return 1; }
  [ "$(wc -l <"$T/a1")" = 40 ] || return 1
  S verify | grep -q '^ok: 40 records' || return 1
  [ "$(S export | wc -l)" = 40 ]
}
check_case lock_deleted lock_deleted

# ---- 2: a flipped byte of a tree file is never signed into a checkpoint
tree_flip() {
  H=$T/tree_flip
  base1000 || return 1
  flip "$H/audit/tree/level-09" 5 # the compact range of 1,000 records holds this node
  echo '{"after":"flip"}' | S append >/dev/null || return 1
  S verify || return 1
  # the tree rebuilt from the segments still matches every signed checkpoint
  rm -rf "$H/audit/index" "$H/audit/tree"
  S checkpoint >/dev/null || return 1
  S verify | grep -q '^ok: 1001 records' || return 1
  # a node outside the compact range: verify names the derived file and the way to rebuild it
  flip "$H/audit/tree/level-03" 3
  echo '{"after":"flip3"}' | S append >/dev/null || return 1
  S verify 2>"$T/err" && return 1
  grep -q 'level 3 index 0' "$T/err" && grep -q 'delete audit/index and audit/tree' "$T/err" || return 1
  rm -rf "$H/audit/index" "$H/audit/tree"
  S checkpoint >/dev/null || return 1
  S verify | grep -q '^ok: 1002 records'
}
check_case tree_flip tree_flip

# ---- 4: recovery never cuts acknowledged records; damage is reported, not truncated
recovery_damage() {
  H=$T/recovery_damage
  base1000 || return 1
  local seg=$H/audit/segment-000000.log size idx
  size=$(stat -c %s "$seg")
  idx=$(stat -c %s "$H/audit/index")
  flip "$seg" 5000
  # a writer that trusts its index (it matches the signed checkpoint) appends; verify names it
  S verify 2>"$T/err" && return 1
  grep -q 'record 116 ' "$T/err" || { cat "$T/err"; return 1; }
  # an index that disagrees makes a writer re-read the log: refused, and no file changed
  # (the index is not cut first)
  flip "$H/audit/index" $((idx - 3))
  cp "$H/audit/index" "$T/index.before"
  echo '{"x":1}' | S append 2>"$T/err" && return 1
  grep -q 'damage, not a torn tail: nothing was changed' "$T/err" || return 1
  grep -q 'steward audit export --salvage' "$T/err" || return 1
  [ "$(stat -c %s "$seg")" = "$size" ] && cmp -s "$H/audit/index" "$T/index.before" || return 1
  # checkpoint and index gone: checkpoints.log still binds
  rm -f "$H/audit/checkpoint" "$H/audit/index"
  echo '{"x":1}' | S append 2>"$T/err" && return 1
  grep -q 'a signed checkpoint covers 1000 records, so this is damage, not a torn tail' "$T/err" || return 1
  [ "$(stat -c %s "$seg")" = "$size" ] || return 1
  # ... and with no checkpoint at all, the intact frames after the damage still forbid a cut
  rm -f "$H/audit/checkpoints.log"
  echo '{"x":1}' | S append 2>"$T/err" && return 1
  grep -q 'intact records follow it' "$T/err" || return 1
  [ "$(stat -c %s "$seg")" = "$size" ] || return 1
  # what is intact comes out: 999 of the 1,000 acknowledged records, each as appended
  S export --salvage >"$T/salvaged" 2>"$T/err" || return 1
  grep -q 'salvaged 999 intact records; skipped 1 damaged' "$T/err" || return 1
  $PY - "$T/salvaged" <<'PYEOF' || return 1
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert len(recs) == 999, len(recs)
for r in recs:
    assert r["record"]["i"] == r["index"] and r["record"]["pad"] == "x" * (r["index"] % 13), r
PYEOF
}
check_case recovery_damage recovery_damage

# ---- 9: an edited format file is refused, not followed into a segment nothing reads
format_edit() {
  H=$T/format_edit
  base1000 || return 1
  cp "$H/audit/format" "$T/format.saved"
  echo 'steward-audit 1 segment_bytes=4096' >"$H/audit/format"
  echo '{"x":1}' | S append >"$T/a" 2>"$T/err" && return 1
  [ ! -s "$T/a" ] && grep -q 'format file disagrees with the segments' "$T/err" || return 1
  S verify 2>"$T/err" && return 1
  grep -q 'format file disagrees' "$T/err" || return 1
  [ ! -e "$H/audit/segment-000001.log" ] || return 1
  cp "$T/format.saved" "$H/audit/format"
  S verify | grep -q '^ok: 1000 records'
}
check_case format_edit format_edit

# ---- 16: recall and forget check the slot against the record's own content hash
retention_claims() {
  H=$T/retention_claims
  echo '{"type":"generation","content":"alpha secret"}' | S append --retain >"$T/i0" || return 1
  local i0 i1 i2 other
  i0=$(cat "$T/i0")
  other=$(printf 'something else' | sha256sum | cut -d' ' -f1)
  i1=$(echo '{"type":"generation","retained":{"slot":0}}' | S append) || return 1
  i2=$(echo "{\"content_sha256\":\"$other\",\"retained\":{\"slot\":0}}" | S append) || return 1
  S recall "$i1" 2>"$T/err" && return 1
  grep -q 'content_sha256' "$T/err" || return 1
  S recall "$i2" >"$T/out" 2>"$T/err" && return 1
  [ ! -s "$T/out" ] && grep -q 'belongs to another record' "$T/err" || return 1
  S forget --record "$i1" 2>/dev/null && return 1
  S forget --record "$i2" 2>/dev/null && return 1
  [ "$(S recall "$i0")" = "alpha secret" ] || return 1
  S forget --record "$i0" | grep -q 'of 1 record' || return 1
  S recall "$i0" 2>/dev/null && return 1
  S verify | grep -q '^ok: 3 records'
}
check_case retention_claims retention_claims

# ---- 17b: an empty checkpoint file is an error, not undefined behaviour
empty_checkpoint() {
  H=$T/empty_checkpoint
  records 5 | S append >/dev/null || return 1
  : >"$H/audit/checkpoint"
  S verify 2>"$T/err"
  [ $? = 1 ] && grep -q 'checkpoint: empty' "$T/err" || { cat "$T/err"; return 1; }
  echo '{"x":1}' | S append 2>"$T/err"
  [ $? = 1 ] && grep -q 'checkpoint: empty' "$T/err" || { cat "$T/err"; return 1; }
}
check_case empty_checkpoint empty_checkpoint

# ---- (found by the fault sweep) a checkpoint torn while appended to checkpoints.log by a
# writer that died: readers ignore it, the next writer cuts it before appending its own
torn_history() {
  H=$T/torn_history
  records 5 | S append >/dev/null || return 1
  local hist=$H/audit/checkpoints.log size
  size=$(stat -c %s "$hist")
  head -c 60 "$hist" >>"$hist"   # a length and part of a note
  echo 12345 >"$H/audit/lock"    # the pid of a writer that never closed
  S verify >/dev/null || return 1
  records 3 5 | S append >/dev/null 2>"$T/err" || { cat "$T/err"; return 1; }
  grep -q 'cut an incomplete last entry of 60 bytes' "$T/err" || { cat "$T/err"; return 1; }
  S verify | grep -q '^ok: 8 records' || return 1
  [ ! -s "$H/audit/lock" ] # a clean close leaves no pid
}
check_case torn_history torn_history

# ---- errors that say where: an oversize append line names its line
oversize_line() {
  H=$T/oversize_line
  $PY -c "print('{\"ok\":1}'); print('{\"big\":\"' + 'y' * (17 << 20) + '\"}')" | S append >"$T/a" 2>"$T/err" && return 1
  grep -q 'stdin line 2' "$T/err" || { cat "$T/err"; return 1; }
  [ "$(cat "$T/a")" = 0 ] || return 1
  S verify | grep -q '^ok: 1 records'
}
check_case oversize_line oversize_line
exit $((fails > 0))
