#!/usr/bin/env bash
# test_html_render.sh - the report's and the card's HTML render in headless Chromium with
# no console message and give a screenshot that is not blank. Skipped when chromium is
# not installed.
. "$(dirname "$0")/../lib.sh"
CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then echo "ok - render in headless Chromium # SKIP chromium is not installed"; exit 0; fi

"$BIN" generate -m "$ROOT/models/default.gguf" -t 1 -n 4 -s 1 -p "Hello" >/dev/null
"$BIN" report --since 2000-01-01 --out "$T/report.html" && "$BIN" card --format html --out "$T/card.html"
check "report and card written" "[ -s '$T/report.html' ] && [ -s '$T/card.html' ]"
for page in report card; do
  timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$T/profile" \
    --enable-logging=stderr --v=0 --window-size=1200,1600 --screenshot="$T/$page.png" "file://$T/$page.html" \
    >"$T/$page.out" 2>"$T/$page.err"
  check "$page renders (chromium exit 0)" "[ $? -eq 0 ]"
  check "$page: no console message" "! grep -E 'CONSOLE|Uncaught|Refused to' '$T/$page.err'"
  # the screenshot is a PNG with more than one colour (a blank page compresses to almost nothing)
  check "$page: the screenshot is not blank" "$PY -c 'import sys; d=open(sys.argv[1],\"rb\").read(); sys.exit(not (d[:8] == b\"\\x89PNG\\r\\n\\x1a\\n\" and len(d) > 20000))' '$T/$page.png'"
done
exit $((fails > 0))
