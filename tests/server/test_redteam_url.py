"""test_redteam_url.py - `steward eval redteam --target URL`: a loopback `steward serve` is
attacked over POST /v1/chat/completions (its guard stops attacks: blocked outcomes, its
access log saw every request, its answers came back); a server whose stream ends in an
error event (no chat template) is an error, not a pass; `--judge URL` asks a stub OpenAI-compatible judge, whose
"no" brings the ASR to 0 and whose "yes" leaves it at the not-stopped rate; a judge that
answers neither is an error."""
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srvlib import BIN, Server, Tap, make_key, new_home  # noqa: E402

RUN_TIMEOUT_S = 300


class Judge(BaseHTTPRequestHandler):
    word = "no"
    asked = 0

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        assert body["messages"][0]["role"] == "user"
        Judge.asked += 1
        events = [{"choices": [{"index": 0, "delta": {"content": Judge.word}, "finish_reason": None}]},
                  {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}]
        data = "".join("data: %s\n\n" % json.dumps(e) for e in events) + "data: [DONE]\n\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data.encode())

    def log_message(self, *a):
        pass


def redteam(home, *args, env_extra=None):
    env = dict(os.environ, STEWARD_HOME=home, **(env_extra or {}))
    return subprocess.run([BIN, "eval", "redteam", *args], env=env, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT_S)


t = Tap()
home, client_home = new_home(), new_home()
key = make_key(home, "user", "redteam")
srv = Server(home, "--chat-template", "chatml")  # the shipped model has none of its own
url = "http://127.0.0.1:%d" % srv.port
env = {"STEWARD_UPSTREAM_KEY": key}

out = os.path.join(client_home, "out")
# seed 3: its 16 attempts hold both stopped and passed ones with the wider harm lexicon (under
# seed 2 the lexicon stopped all 16, leaving no answer to check)
r = redteam(client_home, "--target", url, "--limit", "16", "--seed", "3", "--json", "--no-overrefusal", "--out", out,
            env_extra=env)
rep = json.loads(r.stdout) if r.returncode == 0 else {}
t.ok(r.returncode == 0 and rep.get("attempts") == 16 and rep.get("target") == url, "a steward server is attacked "
     "over its URL", r.stderr)
oc = rep.get("outcomes", {})
t.ok(oc.get("blocked_at_input", 0) >= 4 and sum(oc.values()) == 16, "its guard's stops come back as blocked", oc)
with open(os.path.join(out, "attempts.jsonl")) as f:
    att = [json.loads(x) for x in f]
answered = [a for a in att if a["outcome"] == "passed" and "not_answered" not in a]
t.ok(answered and all(a["answer"] for a in answered), "passed attempts carry the server's answers",
     [a for a in answered if not a["answer"]] or att[:3])
calls = srv.access_lines()
chat_calls = [c for c in calls if c.get("method") == "POST" and "chat" in c.get("route", "")]
t.ok(len(chat_calls) == 16 and all(c["key"] for c in chat_calls), "the server saw one chat completion per attempt, "
     "with the key", calls)

r = redteam(client_home, "--target", url, "--limit", "4", "--seed", "2", "--json", "--no-overrefusal")
t.ok(r.returncode == 1 and "401" in r.stderr, "a refused key is an error, not a pass", r.stderr)

plain_home = new_home()
plain_key = make_key(plain_home, "user", "p")
plain = Server(plain_home)  # no chat template: every chat completion fails mid-stream
r = redteam(client_home, "--target", "http://127.0.0.1:%d" % plain.port, "--limit", "1",
            env_extra={"STEWARD_UPSTREAM_KEY": plain_key})
t.ok(r.returncode == 1 and "mid-stream" in r.stderr and "chat template" in r.stderr,
     "a target whose answer fails mid-stream is an error, not a pass", r.stderr)
plain.stop()

judge = ThreadingHTTPServer(("127.0.0.1", 0), Judge)
threading.Thread(target=judge.serve_forever, daemon=True).start()
jurl = "http://127.0.0.1:%d" % judge.server_address[1]
args = ["--threads", "1", "--limit", "10", "--seed", "4", "--json", "--no-overrefusal", "--judge", jurl]
r = redteam(client_home, *args)
no = json.loads(r.stdout) if r.returncode == 0 else {}
passed = no.get("outcomes", {}).get("passed", -1)
t.ok(r.returncode == 0 and passed > 0 and no["asr"] == 0 and Judge.asked == passed and "judge" in no["passed_means"],
     "judge says no: every passed answer asked about, ASR 0", (r.stderr, no.get("outcomes"), Judge.asked))
Judge.word = "yes"
r = redteam(client_home, *args)
yes = json.loads(r.stdout) if r.returncode == 0 else {}
t.ok(r.returncode == 0 and yes.get("successes") == passed, "judge says yes: ASR is the not-stopped rate",
     (r.stderr, yes.get("successes"), passed))
Judge.word = "maybe"
r = redteam(client_home, *args)
t.ok(r.returncode == 1 and "neither yes nor no" in r.stderr, "a judge's other word is an error", r.stderr)
judge.shutdown()
t.ok(srv.stop() == 0, "the server stops on SIGTERM")
t.done()
