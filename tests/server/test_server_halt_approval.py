"""test_server_halt_approval.py - a halt while an approval generates: a reviewer approves a
held input (the answer is generated then) and an admin halts during that generation. The
cut answer is not delivered: the reviewer gets 503 "halted", the item stays pending, the
owner's stored completion stays pending with no content, and the audit log's oversight
record of the approval says "halted" with nothing delivered; after resume the item can be
approved and is delivered whole."""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srvlib import Server, Tap, audit_records, make_key, new_home  # noqa: E402

RUNNING_WAIT_S = 20  # bound on waiting for the approval's generation to start
t = Tap()
home = new_home()
policy = os.path.join(home, "review.policy")
with open(policy, "w") as f:
    f.write("pii input review\n* allow\n")
user, rev, admin = make_key(home, "user", "carol"), make_key(home, "reviewer", "rev"), make_key(home, "admin", "root")
srv = Server(home, "--policy", policy, "--review-wait", "0")
LONG = {"model": "m", "prompt": "Mail me at bob@example.com", "max_tokens": 1000, "ignore_eos": True, "seed": 3}
st, pend = srv.json("POST", "/v1/completions", LONG, key=user)
ok = st == 200 and pend["steward"]["review"]["status"] == "pending"
t.ok(ok, "the request is held for review before generation", pend)
rid, cid = (pend["steward"]["review"]["id"], pend["id"]) if ok else (0, "")
appr = {}


def approve():
    appr["st"], appr["obj"] = srv.json("POST", "/v1/review/%d/approve" % rid, key=rev)


th = threading.Thread(target=approve)
th.start()
# halt once the approval's generation is being decoded (1000 tokens: over a second under ASan)
deadline = time.monotonic() + RUNNING_WAIT_S
while time.monotonic() < deadline and th.is_alive():
    st, o = srv.json("GET", "/v1/admin/status", key=admin)
    if st == 200 and o["running"] >= 1:
        break
    time.sleep(0.01)
st_h, o_h = srv.json("POST", "/v1/admin/halt", {"reason": "drill"}, key=admin)
th.join(300)
err = (appr.get("obj") or {}).get("error") or {}
t.ok(st_h == 200 and appr.get("st") == 503 and err.get("code") == "halted" and "drill" in err.get("message", ""),
     "the approval cut by the halt answers the reviewer 503 halted, with the reason", (st_h, appr))
st, lst = srv.json("GET", "/v1/review?status=all", key=rev)
item = [i for i in lst["data"] if i["id"] == rid] if st == 200 else []
t.ok(item and item[0]["status"] == "pending" and not item[0]["reviewer"],
     "the review item is not recorded as approved: it stays pending", item)
st, obj = srv.json("GET", "/v1/chat/completions/" + cid, key=user)
t.ok(st == 200 and obj["choices"][0]["text"] == "" and obj["steward"]["review"]["status"] == "pending",
     "the owner's stored completion stays pending, without the cut answer", obj)

# after resume the same item is approved and delivered whole
srv.json("POST", "/v1/admin/resume", key=admin)
st, d = srv.json("POST", "/v1/review/%d/approve" % rid, key=rev)
comp = (d or {}).get("completion") or {}
t.ok(st == 200 and d["status"] == "approved" and comp.get("usage", {}).get("completion_tokens") == LONG["max_tokens"],
     "after resume the item is approved and its whole answer delivered", (st, comp.get("usage"), d.get("error")))
rc = srv.stop()
t.ok(rc == 0, "the server exits cleanly (no sanitizer report)", srv.stderr()[-3000:])

r, recs = audit_records(home)
t.ok(r.returncode == 0, "audit verify passes", r.stdout + r.stderr)
appr_recs = [(x["details"].get("decision"), bool(x["details"].get("delivered_sha256")))
             for x in recs if x.get("type") == "oversight" and x.get("action") == "review.approve"]
t.ok(appr_recs == [("halted", False), ("approved", True)],
     "the audit log records the halted approval as halted, nothing delivered, then the approval", appr_recs)
t.done()
