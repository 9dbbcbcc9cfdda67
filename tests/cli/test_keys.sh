#!/usr/bin/env bash
# test_keys.sh - `steward keys add|list|revoke`: the key printed once as the last word and
# never stored or audited in clear, roles and limits listed, revocation by name and id,
# audit records of each action, usage errors and --help.
. "$(dirname "$0")/../lib.sh"

out=$($BIN keys add --role user --name alice --rate 60/min --tokens-per-day 10k 2>"$T/err"); rc=$?
check "add exits 0" "[ $rc -eq 0 ]"
key=${out##* }
check "the key is the line's last word, sk-sw- + 43 base64url" "[[ \"\$key\" =~ ^sk-sw-[A-Za-z0-9_-]{43}\$ ]]"
check "the line names id, name and role" "[[ \"\$out\" =~ ^created\ key\ [0-9a-f]{16}\ \(name\ alice,\ role\ user\):\  ]]"
alice_id=$(echo "$out" | awk '{print $3}')
check "state.db is mode 0600" "[ \"\$(stat -c %a \"$STEWARD_HOME/state.db\")\" = 600 ]"
check "the key is not in state.db or the audit log" "! grep -rqF -- \"\${key#sk-sw-}\" \"$STEWARD_HOME\""

$BIN keys add --role reviewer --name rev --rate 2/s --json >"$T/rev.json"
check "add --json carries the key and the limits" "$PY -c \"import json; d=json.load(open('$T/rev.json')); assert d['key'].startswith('sk-sw-') and d['role']=='reviewer' and d['rate_per_min']==120 and d['tokens_per_day']==0 and not d['revoked']\""
$BIN keys add --role admin >"$T/admin.out"
check "a key without a name" "grep -q '(name -, role admin)' \"$T/admin.out\""

$BIN keys add --role user --name alice >/dev/null 2>"$T/err"; rc=$?
check "a second live 'alice' is refused (exit 1)" "[ $rc -eq 1 ] && grep -q \"named 'alice' exists\" \"$T/err\""
$BIN keys add --role boss >/dev/null 2>"$T/err"; rc=$?
check "unknown role is a usage error (exit 2)" "[ $rc -eq 2 ] && grep -q \"unknown role 'boss'\" \"$T/err\""
$BIN keys add --name nobody >/dev/null 2>"$T/err"; rc=$?
check "missing --role is a usage error" "[ $rc -eq 2 ] && grep -q -- '--role is required' \"$T/err\""
$BIN keys add --role user --rate 5/week >/dev/null 2>"$T/err"; rc=$?
check "unknown rate unit is a usage error" "[ $rc -eq 2 ] && grep -q \"unknown unit '/week'\" \"$T/err\""
$BIN keys add --role user --tokens-per-day -3 >/dev/null 2>"$T/err"; rc=$?
check "negative token budget is a usage error" "[ $rc -eq 2 ]"
$BIN keys add --role user --name 'two words' >/dev/null 2>"$T/err"; rc=$?
check "a name with a space is refused" "[ $rc -eq 1 ] && grep -q 'key name' \"$T/err\""

$BIN keys list >"$T/list"
check "list: header and three keys" "[ \$(wc -l <\"$T/list\") -eq 4 ]"
check "list: alice's limits" "grep -E \"^$alice_id +alice +user +60/min +10000/day +0 \" \"$T/list\" | grep -q live"
$BIN keys list --json >"$T/list.json"
check "list --json: three keys, no secret" "$PY -c \"import json; d=json.load(open('$T/list.json')); assert len(d['keys'])==3 and all('key' not in k for k in d['keys']) and [k['name'] for k in d['keys']].count('rev')==1\""

$BIN keys revoke alice >"$T/rv.out"; rc=$?
check "revoke by name" "[ $rc -eq 0 ] && grep -q \"revoked key $alice_id\" \"$T/rv.out\""
$BIN keys revoke alice >/dev/null 2>"$T/err"; rc=$?
check "revoking again fails and says so" "[ $rc -eq 1 ] && grep -q 'already revoked' \"$T/err\""
$BIN keys revoke nobody >/dev/null 2>"$T/err"; rc=$?
check "revoking an unknown key fails" "[ $rc -eq 1 ] && grep -q \"no key with id or name 'nobody'\" \"$T/err\""
rev_id=$($PY -c "import json; print(json.load(open('$T/rev.json'))['id'])")
$BIN keys revoke "$rev_id" --json >"$T/rv.json"
check "revoke by id (--json)" "$PY -c \"import json; d=json.load(open('$T/rv.json')); assert d['id']=='$rev_id' and d['revoked']\""
check "list shows two revoked" "[ \$(grep -c ' revoked\$' <($BIN keys list)) -eq 2 ]"
out=$($BIN keys add --role user --name alice); rc=$?
check "the name is free again after revocation" "[ $rc -eq 0 ]"

# the audit log: one record per action, none holding a secret
$BIN audit verify >/dev/null 2>&1
check "audit log verifies" "[ $? -eq 0 ]"
n=0
for i in 0 1 2 3 4 5 6 7 8 9; do $BIN audit show $i >>"$T/audit" 2>/dev/null && n=$((n + 1)); done
check "six key records (3 adds, 2 revokes, 1 add)" "[ \$(grep -c '\"type\":\"key\"' \"$T/audit\") -eq 6 ]"
check "a revoke record names alice's id" "grep '\"action\":\"revoke\"' \"$T/audit\" | grep -q \"$alice_id\""
check "no record holds a key" "! grep -q 'sk-sw-' \"$T/audit\""

# while another process holds the audit log (a running server), nothing is created
flock "$STEWARD_HOME/audit" sleep 3 &  # the writer lock is on the audit directory itself
holder=$!
sleep 0.5
before=$($BIN keys list | wc -l)
$BIN keys add --role user --name blocked >"$T/blocked.out" 2>"$T/err"; rc=$?
check "add fails while the audit log is held" "[ $rc -eq 1 ] && grep -q 'audit log' \"$T/err\" && ! grep -q sk-sw- \"$T/blocked.out\""
check "... and creates no key" "[ \$($BIN keys list | wc -l) -eq $before ]"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null

for sub in "" " add" " list" " revoke"; do
    $BIN keys$sub --help >/dev/null; check "keys$sub --help exits 0" "[ $? -eq 0 ]"
done
$BIN keys frobnicate >/dev/null 2>&1; check "unknown subcommand exits 2" "[ $? -eq 2 ]"
$BIN keys >/dev/null 2>&1; check "no subcommand exits 2" "[ $? -eq 2 ]"

[ $fails -eq 0 ]
