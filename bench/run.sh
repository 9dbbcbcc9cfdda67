#!/usr/bin/env bash
# Runs every benchmark program $STEWARD_BUILD/bench/bench_* (built by `make bench`) and
# every bench/bench_*.sh script, and prints their figures. Benchmarks print ratios against baselines they measure themselves.
set -u
cd "$(dirname "$0")/.."
BUILD=${STEWARD_BUILD:-build}
status=0
found=0
for b in "$BUILD"/bench/bench_*; do
  [ -x "$b" ] || continue
  found=1
  echo "== $(basename "$b")"
  "$b" || { echo "bench: $(basename "$b") failed (exit $?)"; status=1; }
done
# script benchmarks (e.g. the HTTP server under wrk), against the optimised ./steward
for b in bench/bench_*.sh; do
  [ -f "$b" ] || continue
  echo "== $(basename "$b")"
  STEWARD_BIN="$PWD/steward" bash "$b" || { echo "bench: $(basename "$b") failed (exit $?)"; status=1; }
done
[ "$found" -eq 1 ] || echo "bench: no programs under $BUILD/bench (run 'make bench')"
exit $status
