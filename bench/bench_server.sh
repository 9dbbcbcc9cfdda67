#!/usr/bin/env bash
# bench_server.sh - load on `steward serve` over loopback with wrk:
#   1. POST /v1/moderations, 1 KB inputs, 64 keep-alive connections (requests/s, p50/p99);
#      baseline in the same run: GET /healthz (no key, no guard) on the same connections;
#   2. 1,000 idle keep-alive connections held open: the server's RSS before and after;
#   3. generation over HTTP: tokens/s of one streamed completion alone, and the aggregate
#      of 8 at once (decoded together by the pipeline, --parallel 8).
# Targets: >= 10,000 moderation requests/s with p99 <= 5 ms; <= 100 MB for 1,000 idle
# connections. The figures depend on the machine and on what else runs on it.
set -u
cd "$(dirname "$0")/.."
BIN=${STEWARD_BIN:-$PWD/steward}
SECONDS_EACH=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNS:-64}
IDLE=${BENCH_IDLE:-1000}
command -v wrk >/dev/null || { echo "bench_server: wrk not installed (make setup)"; exit 1; }
export STEWARD_HOME=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$STEWARD_HOME"; }
trap cleanup EXIT
KEY=$("$BIN" keys add --role user --name bench | awk '{print $NF}')
"$BIN" serve --port 0 --parallel 8 --access-log "$STEWARD_HOME/access.log" 2>"$STEWARD_HOME/serve.err" &
PID=$!
PORT=
for _ in $(seq 600); do
  PORT=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$STEWARD_HOME/serve.err" | grep -o '[0-9]*$')
  [ -n "$PORT" ] && break
  sleep 0.1
done
[ -n "$PORT" ] || { echo "bench_server: the server did not start"; cat "$STEWARD_HOME/serve.err"; exit 1; }
URL="http://127.0.0.1:$PORT"

# a 1 KB input of ordinary English (the guard's common case)
TEXT=$(python3 -c "
import random; random.seed(7)
w='the a report about weather travel plans for the week please summarise it briefly and list what to pack'.split()
s=' '.join(random.choice(w) for _ in range(400)); print(s[:1024])")
cat >"$STEWARD_HOME/mod.lua" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $KEY"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"input": "$TEXT"}'
LUA
# the figures of a wrk --latency report: requests/s, p50 and p99 in ms
figures() {
  awk '/Requests\/sec/ {rps=$2}
       /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
       function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
       END {printf "%.0f %.3f %.3f\n", rps, ms(p50), ms(p99)}'
}
check=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" -d "{\"input\": \"$TEXT\"}" "$URL/v1/moderations")
[ "$check" = 200 ] || { echo "bench_server: moderation answered $check"; exit 1; }
read -r brps bp50 bp99 < <(wrk -t2 -c"$CONNS" -d"${SECONDS_EACH}s" --latency "$URL/healthz" | figures)
read -r rps p50 p99 < <(wrk -t2 -c"$CONNS" -d"${SECONDS_EACH}s" --latency -s "$STEWARD_HOME/mod.lua" "$URL/v1/moderations" | figures)
echo "moderations (1 KB, $CONNS keep-alive connections, ${SECONDS_EACH}s): $rps requests/s, p50 $p50 ms, p99 $p99 ms (target >= 10000/s, p99 <= 5 ms)"
echo "baseline /healthz (no key, no guard), same connections: $brps requests/s, p50 $bp50 ms, p99 $bp99 ms; moderation/healthz = $(awk -v a="$rps" -v b="$brps" 'BEGIN{printf "%.2f", b ? a/b : 0}')"
errors=$(grep -c '"status":[^2]' "$STEWARD_HOME/access.log")
echo "non-2xx answers during the runs: $errors"

# idle keep-alive connections
rss() { awk '/VmRSS/ {print $2}' /proc/"$PID"/status; }
before=$(rss)
python3 - "$PORT" "$IDLE" "$PID" <<'PY'
import socket, sys, time
port, n, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    socks.append(s)
ok = 0
for s in socks:
    d = s.recv(4096)
    ok += d.startswith(b"HTTP/1.1 200")
time.sleep(1)
rss = [l.split()[1] for l in open("/proc/%s/status" % pid) if l.startswith("VmRSS")][0]
# still serving while they are held
s = socket.create_connection(("127.0.0.1", port), timeout=30)
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
alive = s.recv(4096).startswith(b"HTTP/1.1 200")
print("held %d/%d keep-alive connections (each answered once); RSS with them %s kB; a new client served: %s" % (ok, n, rss, alive))
open("/tmp/.sw_bench_idle_rss_%s" % pid, "w").write(rss)
PY
after=$(cat /tmp/.sw_bench_idle_rss_"$PID"); rm -f /tmp/.sw_bench_idle_rss_"$PID"
echo "idle connections: RSS $before kB before, $after kB with $IDLE held: +$(( (after - before) / 1024 )) MB (target <= 100 MB)"
# generation: one stream alone, then 8 at once (128 tokens each, ignore_eos)
python3 - "$PORT" "$KEY" <<'PY'
import http.client, json, sys, threading, time
port, key = int(sys.argv[1]), sys.argv[2]
def one(out, i):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    c.request("POST", "/v1/completions", json.dumps({"prompt": "KING:", "max_tokens": 128, "ignore_eos": True,
              "seed": i, "stream": True, "stream_options": {"include_usage": True}}),
              {"Authorization": "Bearer " + key})
    data = c.getresponse().read().decode()
    usage = [json.loads(b[6:]) for b in data.split("\n\n") if b.startswith("data: {") and '"usage"' in b]
    out[i] = usage[-1]["usage"]["completion_tokens"] if usage else 0
def run(n):
    out = {}
    th = [threading.Thread(target=one, args=(out, i)) for i in range(n)]
    t0 = time.time()
    for t in th: t.start()
    for t in th: t.join()
    return sum(out.values()), time.time() - t0
tok1, s1 = run(1)
tok8, s8 = run(8)
print("generation over HTTP (streamed, 128 tokens each): 1 alone %.0f tokens/s; 8 at once %.0f tokens/s aggregate (%.2fx)"
      % (tok1 / s1, tok8 / s8, (tok8 / s8) / (tok1 / s1)))
PY
kill -TERM "$PID"; wait "$PID"; PID=
