#!/usr/bin/env bash
# bench_oversight.sh - people in charge on `steward serve` over loopback (issue 11):
#   1. halt to the last byte of every stream: 8 streamed completions running (--parallel 8),
#      then POST /v1/admin/halt; the time from sending the halt to the last byte of the
#      slowest stream (target <= 100 ms), over ROUNDS halts (resumed between them);
#   2. a review decision reaching a waiting client: a plain request held for review waits
#      (--review-wait 30); the time from sending the decision (edit: no generation; approve
#      of a held request: the answer is generated then) to the client's answer (target
#      <= 50 ms for the decision itself).
# Prints min / median / max in ms. The figures depend on the machine and its load.
set -u
cd "$(dirname "$0")/.."
export STEWARD_BIN=${STEWARD_BIN:-$PWD/steward}
export BENCH_ROUNDS=${BENCH_ROUNDS:-10}
exec python3 - <<'PY'
import os, statistics, sys, threading, time
sys.path.insert(0, "tests/server")
from srvlib import Server, halt_streams, make_key, new_home

ROUNDS = int(os.environ["BENCH_ROUNDS"])
home = new_home()
policy = os.path.join(home, "review.policy")
open(policy, "w").write("pii input review\n* allow\n")
user, rev, admin = make_key(home, "user", "u"), make_key(home, "reviewer", "r"), make_key(home, "admin", "a")
srv = Server(home, "--chat-template", "chatml", "--policy", policy, "--parallel", "8", "--review-wait", "30",
             "--access-log", "off")


def fig(name, xs, target):
    xs = sorted(xs)
    print("%-52s min %7.1f  median %7.1f  max %7.1f ms  (target %s, %d runs)"
          % (name, xs[0], statistics.median(xs), xs[-1], target, len(xs)))


halts = []
for _ in range(ROUNDS):
    halts.append(halt_streams(srv, user, admin, "bench")[2])
    srv.json("POST", "/v1/admin/resume", key=admin)
fig("halt -> last byte of 8 streams", halts, "<= 100 ms")

HELD = {"model": "m", "messages": [{"role": "user", "content": "Mail me at bob@example.com"}], "max_tokens": 16}


def decision_latency(kind):
    got = {}

    def ask():
        got["st"], got["obj"] = srv.json("POST", "/v1/chat/completions", HELD, key=user)
        got["t"] = time.monotonic()

    th = threading.Thread(target=ask)
    th.start()
    rid = None
    while rid is None:
        st, lst = srv.json("GET", "/v1/review", key=rev)
        rid = lst["data"][0]["id"] if lst["data"] else None
        time.sleep(0.005)
    time.sleep(0.05)  # the client is waiting on the condition variable
    body = {"content": "A person's answer."} if kind == "edit" else None
    t0 = time.monotonic()
    st, _ = srv.json("POST", "/v1/review/%d/%s" % (rid, kind), body, key=rev)
    t1 = time.monotonic()
    th.join(60)
    assert got["obj"]["steward"]["review"]["status"] in ("edited", "approved"), got
    return (got["t"] - t0) * 1000, (t1 - t0) * 1000


for kind in ("edit", "approve"):
    lat = [decision_latency(kind) for _ in range(ROUNDS)]
    fig("review %s sent -> waiting client answered" % kind, [a for a, _ in lat], "<= 50 ms")
    fig("review %s round trip (the reviewer's request)" % kind, [b for _, b in lat], "-")
srv.stop()
PY
