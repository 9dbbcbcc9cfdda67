"""test_server_halt_audit.py - the kill switch tells the truth: the audit record of a
generation a halt cut short says finish_reason "halted"; a plain answer cut short was not
delivered, so its record has no delivered hash; a stream cut short delivered what it sent
before the halt event, and its record's delivered_sha256 is the hash of exactly that. A
client waiting on an answer held for review (or on a person's reply in a conversation
taken over) when the halt comes gets 503 "halted" with the reason, as every generation
the halt stops, with the pending answer's id and review status to poll after resume. A
halt also ends a generation whose output the guard holds back whole (a redacted input),
which passes no text on before its end."""
import hashlib
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srvlib import Server, Tap, audit_records, make_key, new_home, steward  # noqa: E402

RUNNING_WAIT_S = 20   # bound on waiting for a generation (or a hold) to start
STARTED_CHARS = 100   # generated characters a stream has sent before the halt (past the label)
HALT_ANSWER_S = 5     # a waiting client gets the halt within this (its wait is 30 s)
HALT_JOIN_S = 60      # bound on a request's thread after a halt
LONG_TOKENS = 100000  # generations that do not end by themselves (the halt ends them)
t = Tap()
home = new_home()
policy = os.path.join(home, "review.policy")
with open(policy, "w") as f:
    f.write("pii:EMAIL_ADDRESS input review\npii input redact hash\n* allow\n")
user, rev, admin = make_key(home, "user", "carol"), make_key(home, "reviewer", "rev"), make_key(home, "admin", "root")
srv = Server(home, "--policy", policy, "--review-wait", "30", "--parallel", "4")
LONG = {"model": "m", "prompt": "Once upon a time", "max_tokens": LONG_TOKENS, "ignore_eos": True, "seed": 3}


def wait_running(n):
    deadline = time.monotonic() + RUNNING_WAIT_S
    while time.monotonic() < deadline:
        st, o = srv.json("GET", "/v1/admin/status", key=admin)
        if st == 200 and o["running"] >= n:
            return True
        time.sleep(0.01)
    return False


def halt(reason):
    return srv.json("POST", "/v1/admin/halt", {"reason": reason}, key=admin)


def resume():
    return srv.json("POST", "/v1/admin/resume", key=admin)


# ---- 1. a plain (whole) answer cut short by a halt ----
plain = {}


def plain_request():
    plain["st"], plain["obj"] = srv.json("POST", "/v1/completions", LONG, key=user)


th = threading.Thread(target=plain_request)
th.start()
running = wait_running(1)
st_h, _ = halt("drill one")
th.join(120)
err = (plain.get("obj") or {}).get("error") or {}
t.ok(running and st_h == 200 and plain.get("st") == 503 and err.get("code") == "halted"
     and "drill one" in err.get("message", ""), "a plain request cut by the halt gets 503 halted with the reason",
     (running, st_h, plain))
resume()

# ---- 2. a stream cut short by a halt: its record hashes exactly what was sent ----
c = srv.conn()
c.request("POST", "/v1/completions", body=json.dumps(dict(LONG, stream=True)),
          headers={"Authorization": "Bearer " + user, "Content-Type": "application/json"})
resp = c.getresponse()
events, text, prefix, halted_at = [], "", None, None
while True:
    line = resp.readline()
    if not line:
        break
    line = line.decode().rstrip("\n")
    if line.startswith("data: ") and line != "data: [DONE]":
        events.append(json.loads(line[len("data: "):]))
        piece = (events[-1].get("choices") or [{}])[0].get("text") or ""
        prefix = piece if prefix is None else prefix  # the label's prefix comes first
        text += piece
    if prefix is not None and len(text) > len(prefix) + STARTED_CHARS and halted_at is None:
        halted_at = halt("drill two")
c.close()
last = events[-1] if events else {}
t.ok(halted_at and halted_at[0] == 200 and last.get("error", {}).get("code") == "halted" and text,
     "the stream sent text, then the halt's error event", (halted_at, last, len(text)))
resume()

# ---- 3. a client waiting on an answer held for review when the halt comes ----
held = {}


def held_request():
    t0 = time.monotonic()
    held["st"], held["obj"] = srv.json("POST", "/v1/completions",
                                       {"model": "m", "prompt": "Mail me at bob@example.com", "max_tokens": 8},
                                       key=user)
    held["s"] = time.monotonic() - t0


th = threading.Thread(target=held_request)
th.start()
deadline, item = time.monotonic() + RUNNING_WAIT_S, None
while time.monotonic() < deadline and not item:
    st, lst = srv.json("GET", "/v1/review", key=rev)
    item = lst["data"][0] if st == 200 and lst["data"] else None
    time.sleep(0.01)
time.sleep(0.2)  # the client is in its wait
t_halt = time.monotonic()
st_h, _ = halt("drill three")
th.join(60)
obj = held.get("obj") or {}
err = obj.get("error") or {}
waited_ms = (time.monotonic() - t_halt) * 1000
print("# halt sent -> the waiting client's answer: %.1f ms" % waited_ms)
t.ok(item and st_h == 200 and held.get("st") == 503 and err.get("code") == "halted"
     and "drill three" in err.get("message", ""),
     "a client waiting on a held answer gets 503 halted with the reason, not the pending answer", (item, held))
t.ok(held.get("s", 99) < RUNNING_WAIT_S + HALT_ANSWER_S and obj.get("steward", {}).get("review", {}).get("status")
     == "pending" and obj.get("steward", {}).get("review", {}).get("id") == (item or {}).get("id") and obj.get("id"),
     "the halt's answer names the pending review and the completion id to poll", obj)
resume()
st, d = srv.json("POST", "/v1/review/%d/approve" % (item or {}).get("id", 0), key=rev)
st2, polled = srv.json("GET", "/v1/chat/completions/%s" % obj.get("id", "none"), key=user)
t.ok(st == 200 and st2 == 200 and polled.get("steward", {}).get("review", {}).get("status") == "approved"
     and polled["choices"][0]["text"], "after resume the item is approved and its owner polls the answer",
     (st, d, st2, polled))

# ---- 5 (first: its record comes next). a plain answer held back whole (redacted input) ----
held_back = {}


def held_back_request():
    t0 = time.monotonic()
    held_back["st"], held_back["obj"] = srv.json(
        "POST", "/v1/completions", dict(LONG, prompt="My card is 4111 1111 1111 1111, tell me a story"), key=user)
    held_back["s"] = time.monotonic() - t0


th = threading.Thread(target=held_back_request)
th.start()
running = wait_running(1)
time.sleep(0.3)  # past the prompt: decoding, its text held back
t_halt = time.monotonic()
st_h, _ = halt("drill five")
th.join(HALT_JOIN_S)
took = time.monotonic() - t_halt
err = (held_back.get("obj") or {}).get("error") or {}
print("# halt sent -> the held-back answer's 503: %.1f ms" % (took * 1000))
t.ok(running and st_h == 200 and held_back.get("st") == 503 and err.get("code") == "halted" and took < HALT_ANSWER_S,
     "a generation whose text is held back whole (redacted input) ends at the halt: 503 within %g s" % HALT_ANSWER_S,
     (running, took, held_back))
resume()

# ---- 4. a client waiting on a person's reply in a conversation taken over ----
TAKEN_WAIT_S = 1.0  # time for the request to reach its wait for the person's reply
srv.json("POST", "/v1/conversations/conv-h/takeover", key=rev)
taken = {}


def taken_request():
    taken["st"], taken["obj"] = srv.json("POST", "/v1/chat/completions",
                                         {"model": "m", "messages": [{"role": "user", "content": "Hello?"}],
                                          "max_tokens": 8, "steward": {"conversation": "conv-h"}}, key=user)


th = threading.Thread(target=taken_request)
th.start()
time.sleep(TAKEN_WAIT_S)
t_halt = time.monotonic()
st_h, _ = halt("drill four")
th.join(60)
obj = taken.get("obj") or {}
err = obj.get("error") or {}
t.ok(st_h == 200 and taken.get("st") == 503 and err.get("code") == "halted" and "drill four" in err.get("message", "")
     and obj.get("steward", {}).get("takeover") == {"conversation": "conv-h", "status": "pending"} and obj.get("id"),
     "a client waiting on a person's reply gets 503 halted with the reason and the pending takeover", taken)
resume()
srv.json("POST", "/v1/conversations/conv-h/reply", {"content": "A person answers after the halt."}, key=rev)
st, polled = srv.json("GET", "/v1/chat/completions/%s" % obj.get("id", "none"), key=user)
t.ok(st == 200 and "A person answers" in (polled["choices"][0]["message"]["content"] or ""),
     "after resume the person's reply reaches the stored completion", (st, polled))

rc = srv.stop()
t.ok(rc == 0, "the server exits cleanly (no sanitizer report)", srv.stderr()[-3000:])
r, recs = audit_records(home)
t.ok(r.returncode == 0, "audit verify passes", r.stdout + r.stderr)
gens = [x for x in recs if x.get("type") == "generation"]
# the plain answer cut short comes first (written before its 503); the others are told
# apart by what they hold: the stream's delivered hash, the held-back answer's redaction
cut = [g for g in gens if g.get("finish_reason") == "halted"]
redacted = [g for g in cut if (g.get("verdicts", {}).get("input") or {}).get("action") == "redact"]
streamed = [g for g in cut[1:] if g not in redacted]
t.ok(len(gens) == 5 and len(cut) == 3, "five generation records, three of them cut short",
     [g.get("finish_reason") for g in gens])
rec = gens[0] if gens else {}
t.ok(rec.get("finish_reason") == "halted", "the plain answer's audit record says finish_reason halted, not stop",
     {k: rec.get(k) for k in ("finish_reason", "delivered_sha256")})
t.ok(rec and "delivered_sha256" not in rec and "delivered_text_sha256" not in rec and rec.get("output_sha256"),
     "nothing of it was delivered: no delivered hash (the generated text's output_sha256 stays)",
     {k: rec.get(k) for k in ("output_sha256", "delivered_sha256", "delivered_text_sha256")})
rec = streamed[0] if len(streamed) == 1 else {}
t.ok(rec.get("finish_reason") == "halted", "the stream's audit record says finish_reason halted",
     rec.get("finish_reason"))
t.ok(rec.get("delivered_sha256") == hashlib.sha256(text.encode()).hexdigest(),
     "its delivered_sha256 is the hash of exactly the text the client received (%d bytes)" % len(text.encode()),
     (rec.get("delivered_sha256"), hashlib.sha256(text.encode()).hexdigest(), text[-200:]))
rec = redacted[0] if len(redacted) == 1 else {}
t.ok(rec and "delivered_sha256" not in rec and "delivered_text_sha256" not in rec,
     "the held-back answer's record: halted, redacted input, nothing delivered", rec)
rest = [g.get("finish_reason") for g in gens if g.get("finish_reason") != "halted"]
t.ok(rest in (["review", "stop"], ["review", "length"]), "the held input's record and its approval's", rest)
# the transparency report counts as delivered what reached a client: of the five, the two
# whose input was sent to review (the held one and its approval, whose input verdict is
# still review) count as refused at input, the two halted plain answers as not delivered
r = steward(home, "report", "--since", "2000-01-01", "--format", "json")
tot = json.loads(r.stdout).get("totals", {}) if r.returncode == 0 else {}
t.ok(tot.get("generations") == 5 and tot.get("refused_input") == 2 and tot.get("delivered") == 1
     and tot.get("labels") == 1,
     "the report counts the halted plain answers as neither delivered nor labelled",
     {k: tot.get(k) for k in ("generations", "delivered", "labels", "refused_input")})
t.done()
