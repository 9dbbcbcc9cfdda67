#!/usr/bin/env bash
# bench_server.sh - load on `steward serve` over loopback with wrk:
#   1. POST /v1/moderations, 1 KB inputs, 64 keep-alive connections: requests/s, p50, p99
#      and p99.9; baseline in the same run: GET /healthz (no key, no guard) on the same
#      connections, and the server's CPU time per request (user + system over the run:
#      what a request costs, whatever else the machine runs). Two layouts, BENCH_RUNS runs
#      each (routes interleaved), medians printed:
#        split  - the server pinned to CPU 0 with one connection thread, wrk pinned to
#                 CPU 1 with one thread: the load generator's CPU is not the server's
#                 (the layout the target is judged on);
#        shared - neither pinned, the default connection threads, wrk -t2: server and
#                 load generator fight for the same cores (the earlier layout);
#   2. 1,000 idle keep-alive connections held open: the server's RSS before and after;
#   3. generation over HTTP: tokens/s of one streamed completion alone, and the aggregate
#      of 8 at once (decoded together by the pipeline, --parallel 8).
# Targets: >= 10,000 moderation requests/s with p99 <= 5 ms; <= 100 MB for 1,000 idle
# connections. The figures depend on the machine and on what else runs on it (the load
# average is printed).
set -u
cd "$(dirname "$0")/.."
BIN=${STEWARD_BIN:-$PWD/steward}
SECONDS_EACH=${BENCH_SECONDS:-5}
RUNS=${BENCH_RUNS:-3}
CONNS=${BENCH_CONNS:-64}
IDLE=${BENCH_IDLE:-1000}
LAYOUTS=${BENCH_LAYOUTS:-split shared}
PARTS=${BENCH_PARTS:-moderation idle generation} # a subset runs only those parts
command -v wrk >/dev/null || { echo "bench_server: wrk not installed (make setup)"; exit 1; }
command -v taskset >/dev/null || LAYOUTS=shared
[ "$(nproc)" -ge 2 ] || LAYOUTS=shared
export STEWARD_HOME=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$STEWARD_HOME"; }
trap cleanup EXIT
trap 'exit 1' TERM INT
KEY=$("$BIN" keys add --role user --name bench | awk '{print $NF}')
ALOG="$STEWARD_HOME/access.log"

# start_server PREFIX... -- ARGS...: starts the server (PREFIX: e.g. taskset -c 0), sets PID, PORT, URL
start_server() {
  local pre=()
  while [ "$1" != -- ]; do pre+=("$1"); shift; done
  shift
  : >"$STEWARD_HOME/serve.err"
  "${pre[@]}" "$BIN" serve --port 0 --access-log "$ALOG" "$@" >/dev/null 2>"$STEWARD_HOME/serve.err" &
  PID=$!
  PORT=
  for _ in $(seq 600); do
    PORT=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$STEWARD_HOME/serve.err" | grep -o '[0-9]*$')
    [ -n "$PORT" ] && break
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$PORT" ] || { echo "bench_server: the server did not start"; cat "$STEWARD_HOME/serve.err"; exit 1; }
  URL="http://127.0.0.1:$PORT"
}
stop_server() { kill -TERM "$PID"; wait "$PID"; PID=; }

# a 1 KB input of ordinary English (the guard's common case)
TEXT=$(python3 -c "
import random; random.seed(7)
w='the a report about weather travel plans for the week please summarise it briefly and list what to pack'.split()
s=' '.join(random.choice(w) for _ in range(400)); print(s[:1024])")
# wrk prints one line of figures at its end: requests/s, p50, p99, p99.9 (ms), errors
cat >"$STEWARD_HOME/figures.lua" <<'LUA'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("FIGURES %.0f %.3f %.3f %.3f %d %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    e.connect + e.read + e.write + e.status + e.timeout, summary.requests))
end
LUA
cat >"$STEWARD_HOME/mod.lua" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $KEY"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"input": "$TEXT"}'
LUA
cat "$STEWARD_HOME/figures.lua" >>"$STEWARD_HOME/mod.lua"

# the server's CPU time so far (user + system), in clock ticks
cpu_ticks() { awk '{print $14 + $15}' /proc/"$PID"/stat; }
# one wrk run: WRK_COMMAND... -- URL [LUA] -> "rps p50 p99 p99.9 errors cpu_us_per_request"
# (the server's CPU time over the run per request answered: what a request costs the
# server, whatever else the machine runs)
load() {
  local pre=() t0 fig
  while [ "$1" != -- ]; do pre+=("$1"); shift; done
  shift
  t0=$(cpu_ticks)
  fig=$("${pre[@]}" -c"$CONNS" -d"${SECONDS_EACH}s" -s "${2:-$STEWARD_HOME/figures.lua}" "$1" | awk '/^FIGURES/ {print $2, $3, $4, $5, $6, $7}')
  echo "$fig" | awk -v t="$(( $(cpu_ticks) - t0 ))" -v hz="$(getconf CLK_TCK)" \
    '{printf "%s %s %s %s %s %.1f\n", $1, $2, $3, $4, $5, $6 ? t / hz * 1e6 / $6 : 0}'
}
# the median of column k of the lines in a file
median() { sort -n -k"$2" "$1" | awk -v k="$2" '{v[NR]=$k} END {print v[int((NR + 1) / 2)]}'; }
summary() { # file label
  printf '  %-34s median %6s requests/s, p50 %s ms, p99 %s ms, p99.9 %s ms; server CPU %s us/request (runs: rps %s)\n' "$2" \
    "$(median "$1" 1)" "$(median "$1" 2)" "$(median "$1" 3)" "$(median "$1" 4)" "$(median "$1" 6)" \
    "$(awk '{printf "%s%s", s, $1; s="/"}' "$1")"
}

echo "bench_server: load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs; $RUNS runs of ${SECONDS_EACH}s per route and layout"
case " $PARTS " in *" moderation "*) ;; *) LAYOUTS= ;; esac
for layout in $LAYOUTS; do
  if [ "$layout" = split ]; then
    start_server taskset -c 0 -- --http-threads 1
    WRK=(taskset -c 1 wrk -t1)
    desc="server on CPU 0 (1 connection thread), wrk -t1 on CPU 1"
  else
    start_server -- --parallel 8
    WRK=(wrk -t2)
    desc="server and wrk -t2 unpinned, default connection threads"
  fi
  check=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" -d "{\"input\": \"$TEXT\"}" "$URL/v1/moderations")
  [ "$check" = 200 ] || { echo "bench_server: moderation answered $check"; exit 1; }
  : >"$STEWARD_HOME/hz.$layout"; : >"$STEWARD_HOME/mod.$layout"
  for _ in $(seq "$RUNS"); do
    load "${WRK[@]}" -- "$URL/healthz" >>"$STEWARD_HOME/hz.$layout"
    load "${WRK[@]}" -- "$URL/v1/moderations" "$STEWARD_HOME/mod.lua" >>"$STEWARD_HOME/mod.$layout"
  done
  stop_server
  echo "layout $layout: $desc; $CONNS keep-alive connections"
  summary "$STEWARD_HOME/mod.$layout" "/v1/moderations (1 KB inputs)"
  summary "$STEWARD_HOME/hz.$layout" "baseline /healthz (no key, no guard)"
  echo "  wrk socket errors or non-2xx: moderations $(awk '{s+=$5} END {print s+0}' "$STEWARD_HOME/mod.$layout"), healthz $(awk '{s+=$5} END {print s+0}' "$STEWARD_HOME/hz.$layout")"
done
if [ -n "$LAYOUTS" ]; then
  echo "  targets: >= 10000 requests/s with p99 <= 5 ms, judged on the split layout"
  echo "non-2xx answers in the access log during the runs: $(grep -c '"status":[^2]' "$ALOG")"
fi
case " $PARTS " in *" idle "*|*" generation "*) ;; *) exit 0 ;; esac

start_server -- --parallel 8
# idle keep-alive connections
if [[ " $PARTS " == *" idle "* ]]; then
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
fi
[[ " $PARTS " == *" generation "* ]] || { stop_server; exit 0; }
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
stop_server
