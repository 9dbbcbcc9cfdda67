"""test_server_oversight.py - people in charge on a loopback server (issue 11, parts 1-4):
review approved, edited and rejected as the client sees it, a waiting client woken by the
decision, a user key refused on every reviewer and admin route, takeover with a human
reply labelled human-written, halt during 8 streams (measured) and resume, feedback listed
and counted, a restart keeping the queue, the halt and the feedback, and an audit record
for every action with `audit verify` passing."""
import hashlib
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srvlib import Server, Tap, audit_records, halt_streams, make_key, new_home, sse_events, steward  # noqa: E402

HALT_LIMIT_MS = float(os.environ.get("STEWARD_HALT_LIMIT_MS", "500"))  # ASan on a shared machine
t = Tap()
home = new_home()
policy = os.path.join(home, "review.policy")
with open(policy, "w") as f:
    f.write("pii input review\n* allow\n")
user = make_key(home, "user", "alice")
user2 = make_key(home, "user", "bob")
rev = make_key(home, "reviewer", "rev")
admin = make_key(home, "admin", "root")
ARGS = ("--chat-template", "chatml", "--policy", policy, "--parallel", "8", "--review-wait", "5")
srv = Server(home, *ARGS)
HELD = {"model": "m", "messages": [{"role": "user", "content": "Mail me at bob@example.com"}], "max_tokens": 8,
        "seed": 3}
PLAIN = {"model": "m", "messages": [{"role": "user", "content": "Tell me a story."}], "max_tokens": 8, "seed": 3}
actions = []  # oversight actions expected in the audit log


def content_of(obj):
    return obj["choices"][0]["message"]["content"]


def held_stream():
    """A streamed request held for review: (review id, completion id, events)."""
    st, h, data = srv.request("POST", "/v1/chat/completions", dict(HELD, stream=True), key=user)
    events, done = sse_events(data)
    text = data.decode()
    rev_ev = None
    for block in text.split("\n\n"):
        if block.startswith("event: review\ndata: "):
            rev_ev = json.loads(block.split("data: ", 1)[1])
    return st, rev_ev, events, done


def verify_manifest(obj):
    """`steward verify` on the delivered content and its manifest."""
    mpath = os.path.join(home, "m.json")
    with open(mpath, "w") as f:
        json.dump(obj["steward"]["manifest"], f)
    r = steward(home, "verify", "--manifest", mpath, input=content_of(obj))
    return r.returncode == 0, r.stdout + r.stderr


# ---- a user key is refused on every reviewer and admin route ----
routes = [("GET", "/v1/review"), ("POST", "/v1/review/1/approve"), ("POST", "/v1/review/1/edit"),
          ("POST", "/v1/review/1/reject"), ("GET", "/v1/conversations"), ("POST", "/v1/conversations/c/takeover"),
          ("POST", "/v1/conversations/c/reply"), ("POST", "/v1/conversations/c/release"), ("GET", "/v1/feedback"),
          ("POST", "/v1/feedback/1/handle"), ("POST", "/v1/admin/halt"), ("POST", "/v1/admin/resume"),
          ("GET", "/v1/admin/status"), ("GET", "/metrics"), ("GET", "/v1/oversight/status")]
codes = [srv.json(m, p, {} if m == "POST" else None, key=user)[0] for m, p in routes]
t.ok(all(c == 403 for c in codes), "a user key gets 403 on every reviewer and admin route", codes)
st, _ = srv.json("POST", "/v1/admin/halt", {}, key=rev)
t.ok(st == 403, "a reviewer key gets 403 on the admin routes", st)
st, o = srv.json("GET", "/v1/oversight/status", key=rev)
st2, o2 = srv.json("GET", "/v1/oversight/status", key=admin)
t.ok(st == 200 and o["role"] == "reviewer" and o["halted"] is False and set(o["queues"]) == {"review_pending",
     "takeovers", "replies_queued", "feedback_unhandled"} and "model_sha256" not in o and st2 == 200
     and o2["role"] == "admin", "a reviewer has a status route: the halt, the queue depths and its role", (o, o2))

# ---- review: a stream held, then approved ----
st, ev, events, done = held_stream()
t.ok(st == 200 and ev and ev["status"] == "pending" and done and events[-1]["steward"]["review"]["status"] == "pending",
     "a held stream ends with a review event and [DONE]", (st, ev, events[-1:]))
rid, cid = ev["id"], ev["completion_id"]
st, obj = srv.json("GET", "/v1/chat/completions/" + cid, key=user)
t.ok(st == 200 and content_of(obj) is None and obj["steward"]["review"] == {"id": rid, "status": "pending"},
     "the owner sees it pending, with no content", obj)
st, obj = srv.json("GET", "/v1/chat/completions/" + cid, key=user2)
t.ok(st == 404, "another user does not see it", st)
st, lst = srv.json("GET", "/v1/review", key=rev)
item = [i for i in lst["data"] if i["id"] == rid] if st == 200 else []
t.ok(item and item[0]["request"]["messages"][0]["content"] == HELD["messages"][0]["content"]
     and item[0]["verdicts"]["input"]["action"] == "review" and not item[0]["forgotten"],
     "the reviewer's list shows the request and the verdicts", lst)
with open(os.path.join(home, "state.db"), "rb") as f:
    db = f.read()
wal = os.path.join(home, "state.db-wal")
if os.path.exists(wal):
    with open(wal, "rb") as f:
        db += f.read()
t.ok(b"bob@example.com" not in db, "the prompt is not in the state store in clear")
st, d = srv.json("POST", "/v1/review/%d/approve" % rid, key=rev)
actions.append("review.approve")
st2, obj = srv.json("GET", "/v1/chat/completions/" + cid, key=user)
ok = st == 200 and st2 == 200 and obj["steward"]["review"]["status"] == "approved" and content_of(obj)
t.ok(ok and "[AI-generated content]" in content_of(obj) and obj["steward"]["author"] == "model",
     "approved: the owner gets the content with its label", obj)
good, why = verify_manifest(obj) if ok else (False, "")
t.ok(good, "approved: the signed manifest verifies the delivered text", why)
st, d2 = srv.json("POST", "/v1/review/%d/reject" % rid, {"reason": "late"}, key=rev)
t.ok(st == 409 and d2["error"]["code"] == "already_decided", "a decided item cannot be decided again", d2)

# ---- edited ----
st, ev, _, _ = held_stream()
st, d = srv.json("POST", "/v1/review/%d/edit" % ev["id"], {"content": "A person wrote this instead."}, key=rev)
actions.append("review.edit")
st2, obj = srv.json("GET", "/v1/chat/completions/" + ev["completion_id"], key=user)
m = obj["steward"].get("manifest") or {}
t.ok(st == 200 and obj["steward"]["review"]["status"] == "edited" and "A person wrote this instead." in content_of(obj)
     and "edited by a person" in content_of(obj) and m.get("author") == "human"
     and set(m.get("edit", {})) == {"original_sha256", "edited_sha256"} and m["label"]["AIGC"]["Label"] == "1",
     "edited: the edit is delivered, labelled as edited by a person, both hashes in the manifest", obj)
good, why = verify_manifest(obj)
t.ok(good, "edited: the manifest verifies", why)

# ---- rejected ----
st, ev, _, _ = held_stream()
st, d = srv.json("POST", "/v1/review/%d/reject" % ev["id"], {"reason": "not for this audience"}, key=rev)
actions.append("review.reject")
st2, obj = srv.json("GET", "/v1/chat/completions/" + ev["completion_id"], key=user)
t.ok(st == 200 and obj["steward"]["review"]["status"] == "rejected"
     and obj["steward"]["review"]["reason"] == "not for this audience" and "I can't help" in content_of(obj)
     and obj["choices"][0]["finish_reason"] == "content_filter",
     "rejected: the owner gets the refusal and the reason", obj)
m = obj["steward"].get("manifest") or {}
t.ok("[Written by a person]" in content_of(obj) and obj["steward"]["finish_reason"] == "blocked"
     and obj["steward"]["author"] == "human" and m.get("author") == "human" and m["label"]["AIGC"]["Label"] == "0"
     and obj["steward"]["audit"]["index"] >= 0,
     "rejected: the refusal carries the explicit label, a signed manifest and its audit record", obj)
good, why = verify_manifest(obj) if m else (False, "no manifest")
t.ok(good, "rejected: the manifest verifies the delivered refusal", why)

# ---- a waiting client gets the decision ----
got = {}


def ask():
    got["st"], got["obj"] = srv.json("POST", "/v1/chat/completions", HELD, key=user)
    got["t"] = time.monotonic()


th = threading.Thread(target=ask)
th.start()
pending_id = None
deadline = time.time() + 4
while time.time() < deadline and pending_id is None:
    st, lst = srv.json("GET", "/v1/review", key=rev)
    pending_id = lst["data"][0]["id"] if st == 200 and lst["data"] else None
    time.sleep(0.02)
t0 = time.monotonic()
st, d = srv.json("POST", "/v1/review/%d/approve" % pending_id, key=rev) if pending_id else (0, None)
actions.append("review.approve")
th.join(30)
lat_ms = (got.get("t", 0) - t0) * 1000
print("# review decision to the waiting client: %.1f ms (decision request included)" % lat_ms)
t.ok(got.get("st") == 200 and got["obj"]["steward"]["review"]["status"] == "approved"
     and content_of(got["obj"]), "a waiting plain request gets the decision", got)

# ---- takeover ----
st, o = srv.json("POST", "/v1/conversations/conv-1/takeover", key=rev)
actions.append("takeover")
t.ok(st == 200 and o["taken_over"] is True, "takeover", o)
st, lst = srv.json("GET", "/v1/conversations", key=rev)
t.ok(st == 200 and [c["id"] for c in lst["data"]] == ["conv-1"], "the conversation is listed", lst)
conv_req = dict(PLAIN, steward={"conversation": "conv-1"})
th = threading.Thread(target=lambda: got.update(zip(("cst", "cobj"), srv.json("POST", "/v1/chat/completions",
                                                                                conv_req, key=user))))
th.start()
time.sleep(0.3)
st, o = srv.json("POST", "/v1/conversations/conv-1/reply", {"content": "Hello, a person here."}, key=rev)
actions.append("reply")
th.join(30)
obj = got.get("cobj") or {}
m = obj.get("steward", {}).get("manifest", {})
t.ok(got.get("cst") == 200 and "Hello, a person here." in content_of(obj) and "[Written by a person]" in content_of(obj)
     and obj["steward"]["author"] == "human" and m.get("author") == "human" and m["label"]["AIGC"]["Label"] == "0",
     "a human reply is labelled human-written (explicit label, AIGC Label 0, manifest author)", obj)
good, why = verify_manifest(obj) if m else (False, "no manifest")
t.ok(good, "the human reply's manifest verifies", why)
st, o = srv.json("POST", "/v1/conversations/conv-1/release", key=rev)
actions.append("release")
st, obj = srv.json("POST", "/v1/chat/completions", conv_req, key=user)
t.ok(st == 200 and obj["steward"].get("author", "model") == "model" and "[AI-generated content]" in content_of(obj),
     "after release the model answers again", obj)
st, o = srv.json("POST", "/v1/conversations/conv-1/reply", {"content": "x"}, key=rev)
t.ok(st == 409, "no reply to a conversation not taken over", o)

# a request that waited longer than --review-wait stays pending; the next reply reaches it
srv.json("POST", "/v1/conversations/conv-2/takeover", key=rev)
actions.append("takeover")
st, obj = srv.json("POST", "/v1/chat/completions", dict(PLAIN, steward={"conversation": "conv-2"}), key=user)
t.ok(st == 200 and content_of(obj) is None and obj["steward"]["takeover"] == {"conversation": "conv-2",
     "status": "pending"}, "no reply in time: the request is answered pending", obj)
st, lst = srv.json("GET", "/v1/conversations", key=rev)
t.ok(st == 200 and lst["data"][0]["waiting"] == 1, "the conversation shows one request waiting", lst)
st, o = srv.json("POST", "/v1/conversations/conv-2/reply", {"content": "Sorry for the wait."}, key=rev)
actions.append("reply")
st2, got2 = srv.json("GET", "/v1/chat/completions/" + obj["id"], key=user)
t.ok(st == 200 and o["delivered_to"] == obj["id"] and st2 == 200 and "Sorry for the wait." in content_of(got2)
     and got2["steward"]["takeover"]["status"] == "answered" and got2["steward"]["author"] == "human",
     "the reply reaches the pending request's stored completion", (o, got2))
st, h, data = srv.request("POST", "/v1/chat/completions", dict(PLAIN, stream=True, steward={"conversation": "conv-2"}),
                          key=user)
events, done = sse_events(data)
last = events[-1] if events else {}
t.ok(st == 200 and done and last.get("steward", {}).get("takeover") == {"conversation": "conv-2", "status": "pending"},
     "a streamed request of a conversation taken over is answered pending in stream form", data[-600:])
srv.json("POST", "/v1/conversations/conv-2/release", key=rev)
actions.append("release")

# ---- feedback ----
st, mine = srv.json("POST", "/v1/chat/completions", PLAIN, key=user)
st, fb = srv.json("POST", "/v1/feedback", {"id": mine["id"], "category": "wrong", "comment": "off"}, key=user)
actions.append("feedback")
st2, fb2 = srv.json("POST", "/v1/feedback", {"id": mine["id"], "category": "harmful"}, key=user2)
st3, fb3 = srv.json("POST", "/v1/feedback", {"id": mine["id"], "category": "nope"}, key=user)
t.ok(st == 200 and fb["category"] == "wrong" and st2 == 404 and st3 == 400,
     "feedback by the owner only, categories checked", (fb, fb2, fb3))
st, lst = srv.json("GET", "/v1/feedback", key=rev)
t.ok(st == 200 and lst["data"][-1]["comment"] == "off" and lst["counts"]["wrong"] == 1, "feedback listed", lst)
st, o = srv.json("POST", "/v1/feedback/%d/handle" % fb["id"], key=rev)
actions.append("feedback.handle")
st, lst = srv.json("GET", "/v1/feedback?handled=0", key=rev)
t.ok(st == 200 and lst["data"] == [], "handled feedback leaves the unhandled list", lst)
st, h, body = srv.request("GET", "/metrics", key=admin)
t.ok(b'steward_feedback_total{category="wrong"} 1' in body and b"steward_review_pending 0" in body,
     "feedback counted in /metrics", body[-600:])


# ---- halt during 8 streams ----
st, o, worst, bodies = halt_streams(srv, user, admin, "drill")
actions.append("halt")
print("# halt to the last byte of 8 streams: %.1f ms" % worst)
ended = all(b'"code":"halted"' in d and b"drill" in d and d.rstrip().endswith(b"0") for d in bodies)
t.ok(st == 200 and o["halted"] and ended, "every stream ends with an error event carrying the reason", o)
t.ok(worst <= HALT_LIMIT_MS, "halt stops all 8 streams within %g ms (%.1f ms)" % (HALT_LIMIT_MS, worst))
st, o = srv.json("POST", "/v1/chat/completions", PLAIN, key=user)
t.ok(st == 503 and o["error"]["code"] == "halted" and "drill" in o["error"]["message"], "while halted: 503 with the reason", o)
st, o = srv.json("GET", "/v1/admin/status", key=admin)
t.ok(st == 200 and o["halted"] and o["reason"] == "drill" and set(o["queues"]) == {"review_pending", "takeovers",
     "replies_queued", "feedback_unhandled"}, "status: halted, why, queue depths", o)
st, o = srv.json("GET", "/v1/oversight/status", key=rev)
t.ok(st == 200 and o["halted"] and o["reason"] == "drill" and o["by"], "a reviewer's status: halted, by whom, why", o)
st, o = srv.json("POST", "/v1/admin/resume", key=admin)
actions.append("resume")
st, o = srv.json("POST", "/v1/chat/completions", PLAIN, key=user)
t.ok(st == 200 and content_of(o), "resume restores service", o)

# ---- a restart keeps the queue, the halt, the feedback and a request waiting for a reply ----
srv.json("POST", "/v1/conversations/conv-3/takeover", key=rev)
actions.append("takeover")
st, waiting = srv.json("POST", "/v1/chat/completions", dict(PLAIN, steward={"conversation": "conv-3"}), key=user)
t.ok(st == 200 and waiting["steward"]["takeover"]["status"] == "pending", "conv-3: the request is answered pending",
     waiting)
st, ev, _, _ = held_stream()
st, o = srv.json("POST", "/v1/admin/halt", {"reason": "overnight"}, key=admin)
actions.append("halt")
srv.stop()
srv = Server(home, *ARGS)
st, o = srv.json("GET", "/v1/admin/status", key=admin)
t.ok(st == 200 and o["halted"] and o["reason"] == "overnight" and o["queues"]["review_pending"] == 1,
     "after a restart: still halted, the item still queued", o)
st, lst = srv.json("GET", "/v1/feedback", key=rev)
t.ok(st == 200 and len(lst["data"]) == 1 and lst["data"][0]["handled"], "after a restart: the feedback is kept", lst)
st, lst = srv.json("GET", "/v1/conversations", key=rev)
t.ok(st == 200 and [(c["id"], c["waiting"]) for c in lst["data"]] == [("conv-3", 1)],
     "after a restart: the request waiting for a reply is still listed", lst)
st, o = srv.json("POST", "/v1/conversations/conv-3/reply", {"content": "Back after the restart."}, key=rev)
actions.append("reply")
st2, got3 = srv.json("GET", "/v1/chat/completions/" + waiting["id"], key=user)
t.ok(st == 200 and o["delivered_to"] == waiting["id"] and st2 == 200 and "Back after the restart." in content_of(got3)
     and got3["steward"]["takeover"]["status"] == "answered",
     "after a restart: the reply reaches the pending request's completion", (o, got3))
srv.json("POST", "/v1/conversations/conv-3/release", key=rev)
actions.append("release")
st, o = srv.json("POST", "/v1/admin/resume", key=admin)
actions.append("resume")
st, d = srv.json("POST", "/v1/review/%d/approve" % ev["id"], key=rev)
actions.append("review.approve")
t.ok(st == 200 and d["status"] == "approved", "the kept item can be decided after the restart", d)
st, ev, _, _ = held_stream()
rc = srv.stop()
t.ok(rc == 0, "the server exits cleanly on SIGTERM (no sanitizer report)", srv.stderr()[-3000:])

# ---- the held content is forgotten with the audit log's retention keys ----
r = steward(home, "audit", "forget", "--older-than-days", "0")
srv = Server(home, *ARGS)
st, lst = srv.json("GET", "/v1/review", key=rev)
item = [i for i in lst["data"] if i["id"] == ev["id"]] if st == 200 else []
t.ok(r.returncode == 0 and item and item[0]["forgotten"] and item[0]["request"] is None and item[0]["held"] is None,
     "after `audit forget` the reviewer no longer sees the held request", (r.stderr, item))
st, o = srv.json("POST", "/v1/review/%d/approve" % ev["id"], key=rev)
st2, o2 = srv.json("POST", "/v1/review/%d/reject" % ev["id"], {"reason": "forgotten"}, key=rev)
actions.append("review.reject")
t.ok(st == 410 and o["error"]["code"] == "forgotten" and st2 == 200, "a forgotten item cannot be approved, only "
     "edited or rejected", (o, o2))
rc = srv.stop()
t.ok(rc == 0, "the server exits cleanly again", srv.stderr()[-3000:])

# ---- the audit log ----
r, recs = audit_records(home)
t.ok(r.returncode == 0, "audit verify passes", r.stdout + r.stderr)
ov = [x for x in recs if x.get("type") == "oversight"]
t.ok(sorted(x["action"] for x in ov) == sorted(actions)
     and all(x["details"]["key_name"] and x["details"]["role"] for x in ov),
     "one oversight record per action, naming the key's name and role",
     (sorted(x.get("action") for x in ov), sorted(actions)))
t.ok(all(x["details"].get("delivered_sha256") and x["details"].get("shown_sha256")
         for x in ov if x["action"].startswith("review.")), "review records carry the shown and delivered hashes")

# ---- approving a held input generates on a job's thread, not on a connection's ----
# One connection thread: were the approval's generation run on it, /healthz would wait for
# the whole generation.
home2 = new_home()
rev2, user3 = make_key(home2, "reviewer", "rev"), make_key(home2, "user", "carol")
srv = Server(home2, "--policy", policy, "--review-wait", "0", "--http-threads", "1")
LONG = {"model": "m", "prompt": "Mail me at bob@example.com", "max_tokens": 500, "ignore_eos": True, "seed": 3}
st, pend = srv.json("POST", "/v1/completions", LONG, key=user3)
rid = pend["steward"]["review"]["id"] if st == 200 else 0
appr = {}


def approve():
    appr["st"], appr["obj"] = srv.json("POST", "/v1/review/%d/approve" % rid, key=rev2)
    appr["t"] = time.monotonic()


t0 = time.monotonic()
th = threading.Thread(target=approve)
th.start()
time.sleep(0.1)
st_h, _ = srv.json("GET", "/healthz")
t_h = time.monotonic()
th.join(300)
gen_s, health_s = appr.get("t", t0) - t0, t_h - t0 - 0.1
print("# approval with generation: %.2f s; /healthz meanwhile: %.3f s" % (gen_s, health_s))
t.ok(appr.get("st") == 200 and appr["obj"]["status"] == "approved" and appr["obj"]["completion"]["usage"]
     ["completion_tokens"] > 0, "the approval generates the held request's answer", appr)
# What fails when the generation runs on the connection's thread: /healthz, sent 0.1 s into
# the approval, is answered only after it. (No bound on the generation's own time: on a quiet
# machine 500 tokens take under a second.)
t.ok(st_h == 200 and gen_s > 0.2 and t_h < appr.get("t", 0) and health_s < gen_s / 2,
     "while it generates, the only connection thread still answers (%.3f s, generation %.2f s)" % (health_s, gen_s))
rc = srv.stop()
t.ok(rc == 0, "that server exits cleanly", srv.stderr()[-3000:])
t.done()
