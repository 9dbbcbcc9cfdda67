#!/usr/bin/env bash
# Installs the Debian packages that steward needs, only when missing: `setup.sh run` what
# building and running need (`make run`), `setup.sh test` (the default) that and what the
# tests need (`make test`). A no-op (no apt-get at all) when everything is present;
# otherwise runs `apt-get update` once, then `apt-get install`. Needs root (or sudo) only then.
set -euo pipefail
WHAT=${1:-test}
case "$WHAT" in run|test) ;; *) echo "usage: setup.sh [run|test]" >&2; exit 2 ;; esac

# Build: compiler, libraries (see docs/DEPENDENCIES.md for why each is used).
PKGS=(make gcc pkg-config libsodium-dev libssl-dev libjansson-dev libcurl4-openssl-dev)
# Guard: Unicode NFKC, case folding and properties for text normalisation.
PKGS+=(libutf8proc-dev)
# Server state store: API keys, limits, review queue (SQLite, WAL).
PKGS+=(libsqlite3-dev)
# Server: HTTP/1.1 (keep-alive, limits, thread per connection) for `steward serve`.
PKGS+=(libmicrohttpd-dev)
# Benchmarks: HTTP load generation on loopback for the server.
PKGS+=(wrk)
# Tests: sanitizers and libFuzzer (clang), the numpy reference, the npm oracles.
if [ "$WHAT" = test ]; then PKGS+=(clang libclang-rt-14-dev python3 python3-numpy jq); fi
# Tests: headless Chromium for the console's end-to-end test (tests/console/), and a CJK font
# so that its Chinese screenshots show characters.
if [ "$WHAT" = test ]; then PKGS+=(chromium fonts-wqy-microhei); fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Node.js may come from Debian or elsewhere; only its presence matters (tests only).
if [ "$WHAT" = test ] && ! command -v node >/dev/null 2>&1; then missing+=(nodejs); fi
if [ "$WHAT" = test ] && ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# npm oracles for tokenizer parity tests (pinned by tests/oracle/package-lock.json).
if [ "$WHAT" = test ] && [ -f tests/oracle/package.json ] && [ ! -d tests/oracle/node_modules ]; then
  echo "setup: installing npm test oracles" >&2
  (cd tests/oracle && npm ci --no-audit --no-fund --loglevel=error)
fi
# npm `openai`, the official client, used unchanged by the server tests (tests/server/package-lock.json).
if [ -f tests/server/package.json ] && [ ! -d tests/server/node_modules ]; then
  echo "setup: installing the npm openai client for the server tests" >&2
  (cd tests/server && npm ci --no-audit --no-fund --loglevel=error)
fi
# npm `playwright-core` (no bundled browser: it drives Debian's chromium) for the console test
# (tests/console/package-lock.json).
if [ "$WHAT" = test ] && [ -f tests/console/package.json ] && [ ! -d tests/console/node_modules ]; then
  echo "setup: installing npm playwright-core for the console test" >&2
  (cd tests/console && npm ci --no-audit --no-fund --loglevel=error)
fi
