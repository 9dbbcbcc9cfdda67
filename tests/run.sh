#!/usr/bin/env bash
# Runs every test program and script and ends with the line "N passed, N failed".
#   tests/unit/test_*.c  built under $STEWARD_BUILD/asan/tests (ASan + UBSan)
#   tests/*/test_*.sh    shell tests (integration through the CLI)
#   tests/*/test_*.py    Python tests (numpy references), run with Debian's python3
#   fuzz targets         each replays its seed corpus (fuzz/corpus/NAME) briefly
# Each program prints one "ok - name" / "not ok - name" line per test case. A program
# that exits non-zero without printing a failure counts as one failed test.
set -u
cd "$(dirname "$0")/.."
BUILD=${STEWARD_BUILD:-build}
export STEWARD_BIN="$PWD/$BUILD/asan/steward"
export STEWARD_ROOT="$PWD"
# No test touches the user's ~/.steward: tests that need a state directory of their own
# set one; the rest share this one.
export STEWARD_HOME=$(mktemp -d)
trap 'rm -rf "$STEWARD_HOME"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
PY=/usr/bin/python3
TIMEOUT=${TEST_TIMEOUT:-600}
passed=0; failed=0; skipped=0; failed_names=()
LOGDIR="$BUILD/test-logs"; mkdir -p "$LOGDIR"

run_one() { # name, command...
  local name=$1; shift
  local log="$LOGDIR/$(echo "$name" | tr '/' '_').log"
  local start=$(date +%s)
  timeout "$TIMEOUT" "$@" >"$log" 2>&1
  local rc=$?
  local ok nok
  # "ok N - # SKIP reason" (TAP) is a skip, not a pass
  local skip
  skip=$(grep -c '^ok .*# SKIP' "$log"); ok=$(( $(grep -c '^ok ' "$log") - skip )); nok=$(grep -c '^not ok ' "$log")
  skipped=$((skipped + skip))
  if [ "$rc" -ne 0 ] && [ "$nok" -eq 0 ]; then nok=1; fi
  if [ "$rc" -eq 0 ] && [ "$ok" -eq 0 ] && [ "$nok" -eq 0 ] && [ "$skip" -eq 0 ]; then ok=1; fi
  passed=$((passed + ok)); failed=$((failed + nok))
  local secs=$(( $(date +%s) - start ))
  if [ "$nok" -gt 0 ]; then
    failed_names+=("$name")
    echo "FAIL $name ($ok ok, $nok failed, rc $rc, ${secs}s)"
    grep -v '^ok ' "$log" | tail -n 40 | sed 's/^/    /'
  else
    local skipnote=""
    [ "$skip" -gt 0 ] && skipnote=", $skip skipped"
    echo "PASS $name ($ok ok$skipnote, ${secs}s)"
  fi
}

for t in "$BUILD"/asan/tests/test_*; do
  [ -x "$t" ] && run_one "unit/$(basename "$t")" "$t"
done
for t in tests/*/test_*.sh; do
  [ -f "$t" ] && run_one "$t" bash "$t"
done
for t in tests/*/test_*.py; do
  [ -f "$t" ] && run_one "$t" "$PY" "$t"
done
for f in "$BUILD"/fuzz/fuzz_*; do
  [ -x "$f" ] || continue
  n=$(basename "$f")
  corpus="fuzz/corpus/$n"; mkdir -p "$BUILD/fuzz/corpus/$n"
  if [ -d "$corpus" ]; then
    run_one "fuzz/$n" "$f" -max_total_time="${FUZZ_TEST_SECONDS:-15}" "$BUILD/fuzz/corpus/$n" "$corpus"
  else
    run_one "fuzz/$n" "$f" -max_total_time="${FUZZ_TEST_SECONDS:-15}" "$BUILD/fuzz/corpus/$n"
  fi
done

if [ ${#failed_names[@]} -gt 0 ]; then echo "failed: ${failed_names[*]}"; fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
