#!/usr/bin/env bash
# Runs every benchmark program built under $STEWARD_BUILD/bench (figures, not pass/fail).
set -u
cd "$(dirname "$0")/.."
BUILD=${STEWARD_BUILD:-build}
for b in "$BUILD"/bench/bench_*; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b" || echo "$(basename "$b") failed (exit $?)"
done
