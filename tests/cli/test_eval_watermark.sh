#!/usr/bin/env bash
# test_eval_watermark.sh - `steward eval watermark` on the demo model: report fields,
# detection at full length, no false positives on human text, plot written.
. "$(dirname "$0")/../lib.sh"
jq_() { $PY -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
HUMAN="$ROOT/data/corpus/tinyshakespeare/train.txt" # the project's own copy (1 MB)
[ -f "$HUMAN" ] || { echo "not ok - human text $HUMAN missing"; exit 1; }
$BIN model demo "$T/demo.gguf" 2>/dev/null
$BIN eval watermark --model "$T/demo.gguf" --samples 6 --tokens 100 --threads 1 --human "$HUMAN" \
    --svg "$T/plot.svg" --json >"$T/r.json"
check "eval watermark exits 0" "[ $? -eq 0 ]"
check "report has every section" "[ \"\$(jq_ $T/r.json 'all(k in d for k in [\"by_length\",\"attacks\",\"human\",\"embedded\",\"perplexity\",\"speed\",\"z_thresholds\"])')\" = True ]"
# Six samples of a random-weight model: each 100-token text is detected at FPR 1e-2, and
# the mean z is far past the 1e-5 threshold (the figures come from larger runs).
check "detected at 100 tokens" "[ \"\$(jq_ $T/r.json '[r for r in d[\"by_length\"] if r[\"length\"]==100][0][\"tpr\"][\"1e-2\"]==1.0 and [r for r in d[\"by_length\"] if r[\"length\"]==100][0][\"mean_z\"] > 5')\" = True ]"
check "nine attacks reported" "[ \"\$(jq_ $T/r.json 'len(d[\"attacks\"])')\" = 9 ]"
# Under the null, z >= 4 has probability 3.2e-5 per window: over thousands of windows a
# few may reach it. The scan over all window sizes (Bonferroni-corrected) must not flag.
check "human text: the corrected scan flags nothing" "[ \"\$(jq_ $T/r.json 'd[\"human\"][\"scan_flagged\"]')\" = False ]"
check "human text: windows at z >= 4 are rare (<= 1e-3)" "[ \"\$(jq_ $T/r.json 'd[\"human\"][\"windows_z_ge_4\"] <= max(1, d[\"human\"][\"windows\"] // 1000)')\" = True ]"
check "human text: ~1 MB scanned" "[ \"\$(jq_ $T/r.json 'd[\"human\"][\"bytes\"] >= 1000000')\" = True ]"
check "SVG plot written" "grep -q '<polyline' $T/plot.svg"
$BIN eval watermark --samples 0 2>/dev/null; check "bad --samples is a usage error" "[ $? -eq 2 ]"
exit $((fails > 0))
