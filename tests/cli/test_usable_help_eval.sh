#!/usr/bin/env bash
# test_usable_help_eval.sh - `steward --help` lists every command and every audit
# subcommand; each audit subcommand has its own help page; every command answers --help
# with exit 0; `eval watermark` leaves the production state directory untouched (its
# scratch home is removed afterwards) unless --home names one.
. "$(dirname "$0")/../lib.sh"

$BIN --help >"$T/help"; check "steward --help exits 0" "[ $? -eq 0 ]"
missing=""
for c in generate detect verify keygen model train tokenizer eval audit scan guard; do
    grep -q "^  $c " "$T/help" || missing="$missing $c"
    $BIN $c --help >/dev/null 2>&1 || missing="$missing $c(--help)"
done
for s in verify show prove consistency checkpoint append export forget recall lineage rotate-key; do
    grep -q "audit subcommands:.*\b$s\b" "$T/help" || missing="$missing audit:$s"
done
check "every command and audit subcommand listed, each --help exits 0" "[ -z '$missing' ] || { echo '#$missing'; false; }"
check "--help names the exit statuses" "grep -q 'exit statuses' $T/help"
$BIN audit show --help >"$T/show"; $BIN audit prove --help >"$T/prove"
check "audit show and prove have pages of their own" "! cmp -s $T/show $T/prove && grep -q 'usage: steward audit show N' $T/show && grep -q -- '--checkpoint' $T/prove && ! grep -q -- '--checkpoint' $T/show"
pages=$(for s in verify show prove consistency checkpoint append export forget recall lineage rotate-key; do $BIN audit $s --help | head -1; done | sort -u | wc -l)
check "eleven distinct audit help pages" "[ $pages -eq 11 ]"

# eval never touches production state
$BIN generate -p "Hello" -n 4 -t 1 >/dev/null
before=$($BIN audit verify --json | $PY -c "import json,sys; print(json.load(sys.stdin)['records'])")
sum_before=$(cd "$STEWARD_HOME" && find . -type f | sort | xargs sha256sum | sha256sum)
mkdir -p "$T/tmp"
$BIN model demo "$T/demo.gguf" 2>/dev/null
TMPDIR="$T/tmp" $BIN eval watermark --model "$T/demo.gguf" --samples 2 --tokens 20 --threads 1 --json >"$T/r.json" 2>/dev/null
check "eval watermark exits 0" "[ $? -eq 0 ]"
after=$($BIN audit verify --json | $PY -c "import json,sys; print(json.load(sys.stdin)['records'])")
sum_after=$(cd "$STEWARD_HOME" && find . -type f | sort | xargs sha256sum | sha256sum)
check "the production audit log is untouched ($before records)" "[ '$before' = '$after' ] && [ '$sum_before' = '$sum_after' ]"
check "the scratch home was removed" "[ -z \"\$(ls -A $T/tmp)\" ]"
$BIN --home "$T/evalhome" eval watermark --model "$T/demo.gguf" --samples 2 --tokens 20 --threads 1 --json >/dev/null 2>&1
check "--home: eval runs there and keeps it" "[ -d $T/evalhome/audit ] || [ -n \"\$(ls -A $T/evalhome)\" ]"

echo "# $fails failed"
[ $fails -eq 0 ]
