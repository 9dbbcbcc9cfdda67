"""test_server_lifecycle.py - `steward serve` across stops and starts: keys survive a
restart; SIGTERM right after a burst leaves every answered request's access log line; SIGTERM lets a generation in flight finish and closes the audit log cleanly;
SIGKILL under load loses no acknowledged audit record; concurrent streams give the same
tokens as one stream alone for the same seed."""
import json
import os
import re
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srvlib import Server, Tap, make_key, new_home, sse_events, steward  # noqa: E402

t = Tap()
T0 = time.time()


def phase(name):
    print("# %.1fs: %s" % (time.time() - T0, name))
    sys.stdout.flush()

LOAD_SECONDS = 8
LOAD_CLIENTS = 6
STREAMS = 4
ACCESS_BURST = 300

home = new_home()
user = make_key(home, "user", "alice")

# ---- a restart keeps keys ----
srv = Server(home, "--parallel", "4")
st, _ = srv.json("GET", "/v1/models", key=user)
t.ok(st == 200, "the key works")
t.ok(srv.stop() == 0, "SIGTERM on an idle server: exit 0")
srv = Server(home, "--parallel", "4")
st, _ = srv.json("GET", "/v1/models", key=user)
t.ok(st == 200, "the same key works after a restart")

phase("access log on SIGTERM")
# ---- one thread writes the access log from a buffer: SIGTERM right after a burst of
# answers still leaves a line for each of them ----
conn = srv.conn()
answered = sum(srv.json("POST", "/v1/moderations", {"input": "burst %d" % i}, key=user, conn=conn)[0] == 200
               for i in range(ACCESS_BURST))
rc = srv.stop(signal.SIGTERM)
with open(srv.access) as f:
    mods = [json.loads(x) for x in f if '"route":"moderations"' in x]
t.ok(rc == 0 and answered == ACCESS_BURST and len(mods) == answered and all(m["status"] == 200 for m in mods),
     "SIGTERM: every answered request has its access log line", (rc, answered, len(mods)))

phase("SIGTERM during")
# ---- SIGTERM during a generation: it finishes, the log closes with a checkpoint ----
srv = Server(home, "--parallel", "4", "--drain-ms", "120000")
result = {}


def long_generation():
    result["r"] = srv.json("POST", "/v1/completions", {"prompt": "KING:", "max_tokens": 60, "ignore_eos": True,
                                                       "seed": 5}, key=user)


th = threading.Thread(target=long_generation)
th.start()
time.sleep(1.0)
rc = srv.stop(signal.SIGTERM)
th.join(60)
st, obj = result.get("r", (None, None))
t.ok(st == 200 and obj["usage"]["completion_tokens"] == 60,
     "SIGTERM: the generation in flight is answered in full", (st, obj and obj.get("usage")))
t.ok(rc == 0, "SIGTERM: exit 0 after the drain", srv.stderr()[-1500:])
r = steward(home, "audit", "verify")
t.ok(r.returncode == 0, "audit verify after SIGTERM", r.stdout + r.stderr)

phase("SIGKILL under load")
# ---- SIGKILL under load: every acknowledged record is in the log ----
srv = Server(home, "--parallel", "4")
acked, stop = [], threading.Event()
lock = threading.Lock()


def load():
    while not stop.is_set():
        try:
            st, obj = srv.json("POST", "/v1/completions", {"prompt": "To be", "max_tokens": 3}, key=user, timeout=30)
        except OSError:
            return
        if st == 200:
            with lock:
                acked.append((obj["steward"]["audit"]["index"], obj["steward"]["manifest"]["id"]))


threads = [threading.Thread(target=load) for _ in range(LOAD_CLIENTS)]
for x in threads:
    x.start()
time.sleep(LOAD_SECONDS)
srv.stop(signal.SIGKILL)
stop.set()
for x in threads:
    x.join(60)
r = steward(home, "audit", "verify")
m = re.search(r"ok: (\d+) records", r.stdout)
size = int(m.group(1)) if m else -1
t.ok(r.returncode == 0 and size > 0, "audit verify after SIGKILL under load", r.stdout + r.stderr)
t.ok(len(acked) >= 3 and all(i < size for i, _ in acked),
     "all %d acknowledged records are in the log (size %d)" % (len(acked), size), acked[-5:])
bad = []
for idx, cid in acked[-10:]:
    r = steward(home, "audit", "show", str(idx))
    if r.returncode != 0 or json.loads(r.stdout).get("content_id") != cid:
        bad.append((idx, cid, r.stdout[:200]))
t.ok(not bad, "the last 10 acknowledged records carry their answers' ids", bad)

phase("concurrent streams give")
# ---- concurrent streams give the tokens one stream alone gives ----
srv = Server(home, "--parallel", "4")
req = {"prompt": "JULIET:", "max_tokens": 24, "seed": 11, "temperature": 0.9, "stream": True, "ignore_eos": True}


def stream_text(out, i):
    st, h, data = srv.request("POST", "/v1/completions", req, key=user)
    ev, done = sse_events(data)
    out[i] = (st, done, "".join(e["choices"][0]["text"] for e in ev if e.get("choices")))


alone = {}
stream_text(alone, 0)
together = {}
ths = [threading.Thread(target=stream_text, args=(together, i)) for i in range(STREAMS)]
for x in ths:
    x.start()
for x in ths:
    x.join(120)
t.ok(alone[0][0] == 200 and alone[0][1] and len(alone[0][2]) > 0, "one stream alone", alone)
t.ok(len(together) == STREAMS and all(v == alone[0] for v in together.values()),
     "%d concurrent streams give the same text as one alone (seed 11)" % STREAMS, together)
t.ok(srv.stop() == 0, "SIGTERM: exit 0")
t.done()
