#!/usr/bin/env bash
# Runs every test program and script and ends with the line "N passed, N failed".
#   tests/unit/test_*.c  built under $STEWARD_BUILD/asan/tests (ASan + UBSan)
#   tests/*/test_*.sh    shell tests (integration through the CLI)
#   tests/*/test_*.py    Python tests (numpy references), run with Debian's python3
#   fuzz/fuzz_*.c        each target replays its seed corpus (fuzz/corpus/NAME) and fuzzes
#                        on; all targets together for FUZZ_TEST_BUDGET seconds of fuzzing (default 40:
#                        about 60 s in all with start-up and seed replay)
# Tests are taken from their sources, so a deleted test's stale binary never runs and a
# test whose binary was not built counts as failed.
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

run_one() { # name, command...  (the time limit is $TIMEOUT, or $ONE_TIMEOUT when set)
  local name=$1; shift
  local log="$LOGDIR/$(echo "$name" | tr '/' '_').log"
  local start=$(date +%s)
  timeout "${ONE_TIMEOUT:-$TIMEOUT}" "$@" >"$log" 2>&1
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

# a test whose program is missing: one failure that says so
missing() { run_one "$1" bash -c 'echo "not ok - $0 was not built (make test builds it)"; exit 1' "$2"; }

for src in tests/unit/test_*.c; do
  n=$(basename "$src" .c); t="$BUILD/asan/tests/$n"
  if [ -x "$t" ]; then run_one "unit/$n" "$t"; else missing "unit/$n" "$t"; fi
done
for t in tests/*/test_*.sh; do
  [ -f "$t" ] && run_one "$t" bash "$t"
done
for t in tests/*/test_*.py; do
  [ -f "$t" ] && run_one "$t" "$PY" "$t"
done
fuzz_srcs=(fuzz/fuzz_*.c)
FUZZ_TEST_BUDGET=${FUZZ_TEST_BUDGET:-40}  # fuzzing time; start-up and seed replay add ~1 s a target
per=$(( FUZZ_TEST_BUDGET / ${#fuzz_srcs[@]} )); [ "$per" -ge 1 ] || per=1
per=${FUZZ_TEST_SECONDS:-$per}
mkdir -p "$BUILD/fuzz/artifacts"
for src in "${fuzz_srcs[@]}"; do
  [ -f "$src" ] || continue
  n=$(basename "$src" .c); f="$BUILD/fuzz/$n"
  if [ ! -x "$f" ]; then missing "fuzz/$n" "$f"; continue; fi
  mkdir -p "$BUILD/fuzz/corpus/$n" "fuzz/corpus/$n"
  # new inputs go to the first folder (build/), seeds come from the second; a crash input
  # lands in build/fuzz/artifacts/
  ONE_TIMEOUT=$((per + 30)) run_one "fuzz/$n" "$f" -max_total_time="$per" -timeout=10 \
    -artifact_prefix="$BUILD/fuzz/artifacts/$n-" "$BUILD/fuzz/corpus/$n" "fuzz/corpus/$n"
done

if [ ${#failed_names[@]} -gt 0 ]; then echo "failed: ${failed_names[*]}"; fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
