#!/usr/bin/env bash
# bench_vs_llama.sh - 8 concurrent clients, 64 tokens each, over HTTP on loopback, on a
# SmolLM2-135M-shaped Q8_0 model with random weights, 2 threads (BENCH_THREADS): the aggregate tokens/s
# of `steward serve --parallel 8` (every control in the path) against llama.cpp's
# llama-server with 8 slots on the same file, measured in the same run; and one client
# alone on each, and `steward generate` on the same request (one client over HTTP should be
# within 5% of it). llama-server is not part of steward: set LLAMA_SERVER to a binary built
# from llama.cpp's source outside the repository; without it only steward is measured.
set -u
cd "$(dirname "$0")/.."
BIN=${STEWARD_BIN:-$PWD/steward}
BUILD=${STEWARD_BUILD:-build}
CLIENTS=${BENCH_CLIENTS:-8}
THREADS=${BENCH_THREADS:-2} # compute threads of each server and of generate (the target: 2)
T=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT
"$BUILD/bench/bench_batch" --write "$T/m.gguf" || { echo "bench_vs_llama: cannot write the model"; exit 1; }

# clients: N threads posting /v1/completions at once; prints aggregate and per-client tok/s
cat >"$T/load.py" <<'PY'
import json, sys, threading, time, urllib.request
url, key, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def one(i, out):
    body = json.dumps({"model": "m", "prompt": "Once upon a time, in a land far away, there lived",
                       "max_tokens": 64, "ignore_eos": True, "temperature": 0.8, "seed": i + 1}).encode()
    req = urllib.request.Request(url + "/v1/completions", body, {"Content-Type": "application/json"})
    if key != "-": req.add_header("Authorization", "Bearer " + key)
    with urllib.request.urlopen(req, timeout=600) as r:
        d = json.load(r)
    out[i] = d.get("usage", {}).get("completion_tokens", 0)
def run(k):
    out = [0] * k
    th = [threading.Thread(target=one, args=(i, out)) for i in range(k)]
    t0 = time.time()
    for t in th: t.start()
    for t in th: t.join()
    return sum(out) / (time.time() - t0), sum(out)
run(1)  # warm-up
alone = max(run(1)[0] for _ in range(2))
agg, toks = run(n)
print("%.1f %.1f %d" % (alone, agg, toks))
PY

wait_port() { # log file -> port (steward prints it; llama-server listens on the one given)
  for _ in $(seq 600); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }

export STEWARD_HOME="$T/home"
KEY=$("$BIN" keys add --role user --name bench | awk '{print $NF}')
"$BIN" serve --port 0 --parallel "$CLIENTS" --threads "$THREADS" --model "$T/m.gguf" 2>"$T/steward.err" &
PIDS+=($!)
wait_port "$T/steward.err" 'listening on' || { echo "bench_vs_llama: steward serve did not start"; cat "$T/steward.err"; exit 1; }
SPORT=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$T/steward.err" | grep -o '[0-9]*$')
read s_alone s_agg s_toks < <(python3 "$T/load.py" "http://127.0.0.1:$SPORT" "$KEY" "$CLIENTS")
kill "${PIDS[0]}"; wait "${PIDS[0]}" 2>/dev/null
# the same request from the command line: 64 tokens over the prompt's and the generation's
# time as `steward generate --json` reports them (the model's loading not counted, as the
# server has it loaded); best of 3
g_alone=$(for s in 1 2 3; do
  "$BIN" generate -m "$T/m.gguf" -t "$THREADS" -n 64 --ignore-eos --temp 0.8 -s "$s" --json \
    -p "Once upon a time, in a land far away, there lived" 2>/dev/null |
    python3 -c "import json, sys; t = json.load(sys.stdin)['timings']; print('%.1f' % (t['gen_tokens'] / (t['prompt_ms'] + t['gen_ms']) * 1000))"
done | sort -n | tail -1)
echo "bench_vs_llama: $CLIENTS clients x 64 tokens, SmolLM2-135M shape Q8_0, $THREADS threads, over HTTP"
echo "  steward serve --parallel $CLIENTS : 1 client $s_alone tok/s, $CLIENTS clients $s_agg tok/s aggregate ($s_toks tokens)"
python3 -c "print('  steward generate (same request)  : %s tok/s; one client over HTTP / generate = %.3f (target >= 0.95)' % ('$g_alone', $s_alone / $g_alone))"
if [ -n "${LLAMA_SERVER:-}" ] && [ -x "$LLAMA_SERVER" ]; then
  LPORT=$((20000 + RANDOM % 20000))
  "$LLAMA_SERVER" -m "$T/m.gguf" -np "$CLIENTS" -t "$THREADS" -c $((CLIENTS * 512)) --port "$LPORT" --host 127.0.0.1 >"$T/llama.log" 2>&1 &
  PIDS+=($!)
  wait_port "$T/llama.log" 'listening\|server is listening' || { echo "  llama-server did not start"; tail -5 "$T/llama.log"; exit 1; }
  sleep 1
  read l_alone l_agg l_toks < <(python3 "$T/load.py" "http://127.0.0.1:$LPORT" - "$CLIENTS")
  echo "  llama-server -np $CLIENTS          : 1 client $l_alone tok/s, $CLIENTS clients $l_agg tok/s aggregate ($l_toks tokens)"
  python3 -c "print('  steward / llama-server: 1 client %.2fx, %s clients %.2fx' % ($s_alone/$l_alone, $CLIENTS, $s_agg/$l_agg))"
else
  echo "  (LLAMA_SERVER not set: no llama-server baseline in this run)"
fi
