#!/usr/bin/env python3
"""test_server_threads.py - the server's connections are served by a few epoll threads
(--http-threads); generations run on threads of their own and suspend their connection,
so with a single connection thread, other clients are still served while a plain and a
streamed generation run, and both generations still arrive whole."""
import sys
import threading
import time

import srvlib

GEN_TOKENS = 400          # long enough to outlast the probes under ASan
PROBES = 5
PROBE_LIMIT_S = 2.0       # a probe that waits for a generation would take seconds


def main():
    t = srvlib.Tap()
    home = srvlib.new_home()
    key = srvlib.make_key(home, "user", "threads")
    s = srvlib.Server(home, "--http-threads", "1", "--parallel", "2")
    out = {}

    def plain():
        out["plain"] = s.json("POST", "/v1/completions",
                              {"prompt": "KING:", "max_tokens": GEN_TOKENS, "ignore_eos": True, "seed": 3}, key=key)

    def stream():
        out["stream"] = s.request("POST", "/v1/completions",
                                  {"prompt": "KING:", "max_tokens": GEN_TOKENS, "ignore_eos": True, "seed": 3,
                                   "stream": True, "stream_options": {"include_usage": True}}, key=key)

    gens = [threading.Thread(target=plain), threading.Thread(target=stream)]
    for g in gens:
        g.start()
    time.sleep(0.3)
    worst = 0.0
    statuses = []
    for _ in range(PROBES):
        t0 = time.time()
        st, _h, _b = s.request("GET", "/healthz", timeout=30)
        worst = max(worst, time.time() - t0)
        statuses.append(st)
    running = any(g.is_alive() for g in gens)
    if running:
        t.ok(statuses == [200] * PROBES and worst < PROBE_LIMIT_S,
             "one connection thread: /healthz answered while two generations run (slowest %.3f s)" % worst,
             "statuses %s" % statuses)
    else:
        print("ok %d - # SKIP the generations ended before the probes (too fast to tell)" % (t.n + 1))
        t.n += 1
    for g in gens:
        g.join(timeout=300)
    st, j = out.get("plain", (None, None))
    t.ok(st == 200 and j["usage"]["completion_tokens"] == GEN_TOKENS and j["steward"]["audit"] is not None,
         "the plain generation answered whole after its connection was resumed", "%s %s" % (st, str(j)[:300]))
    st, _h, body = out.get("stream", (None, None, b""))
    events, done = srvlib.sse_events(body) if st == 200 else ([], False)
    usage = [e["usage"] for e in events if e.get("usage")]
    text = "".join(c.get("text", "") for e in events for c in e.get("choices", []))
    t.ok(st == 200 and done and usage and usage[-1]["completion_tokens"] == GEN_TOKENS,
         "the stream arrived whole through suspend and resume", "%s usage %s" % (st, usage))
    t.ok(text and text == out["plain"][1]["choices"][0]["text"], "the stream's text is the plain answer's (seed 3)",
         "%r vs %r" % (text[:80], out["plain"][1]["choices"][0]["text"][:80]))
    t.ok(s.stop() == 0, "SIGTERM: exit 0")
    t.done()


if __name__ == "__main__":
    main()
