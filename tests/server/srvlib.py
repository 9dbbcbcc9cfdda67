"""srvlib.py - helpers for the server tests: start `steward serve` on a free loopback port
with a state directory of its own, create keys, make requests, report TAP lines.

Every wait is bounded; every server started is killed at exit."""
import atexit
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.environ.get("STEWARD_ROOT", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.environ.get("STEWARD_BIN", os.path.join(ROOT, "build/asan/steward"))
START_TIMEOUT_S = 120
_servers = []
_homes = []


def new_home():
    h = tempfile.mkdtemp(prefix="sw_srv_")
    _homes.append(h)
    return h


def _cleanup():
    for s in _servers:
        s.kill()
    for h in _homes:
        shutil.rmtree(h, ignore_errors=True)


atexit.register(_cleanup)


def steward(home, *args, timeout=120, input=None):
    env = dict(os.environ, STEWARD_HOME=home)
    return subprocess.run([BIN, *args], env=env, capture_output=True, text=True, timeout=timeout, input=input)


def audit_records(home):
    """`steward audit verify` (its CompletedProcess) and the records `steward audit export` lists."""
    v = steward(home, "audit", "verify")
    r = steward(home, "audit", "export")
    return v, [json.loads(line)["record"] for line in r.stdout.splitlines() if line.startswith("{")]


def make_key(home, role, name, rate=None, tokens=None):
    """Creates a key with `steward keys add`; returns the secret (the line's last word)."""
    args = ["keys", "add", "--role", role, "--name", name]
    if rate is not None:
        args += ["--rate", "%d/min" % rate]
    if tokens is not None:
        args += ["--tokens-per-day", str(tokens)]
    r = steward(home, *args)
    if r.returncode != 0:
        raise RuntimeError("keys add failed: " + r.stderr)
    return r.stdout.split()[-1]


class Server:
    started = 0

    def __init__(self, home, *extra):
        self.home = home
        Server.started += 1
        self.log = os.path.join(home, "serve-%d.stderr" % Server.started)
        self.access = os.path.join(home, "access.log")
        env = dict(os.environ, STEWARD_HOME=home)
        self.err = open(self.log, "ab")
        self.p = subprocess.Popen([BIN, "serve", "--port", "0", "--access-log", self.access, *extra],
                                  env=env, stdout=subprocess.DEVNULL, stderr=self.err)
        _servers.append(self)
        self.port = None
        deadline = time.time() + START_TIMEOUT_S
        while time.time() < deadline and self.p.poll() is None:
            m = re.search(r"listening on http://[^ ]*:(\d+)/", self.stderr())
            if m:
                self.port = int(m.group(1))
                break
            time.sleep(0.05)
        if not self.port:
            raise RuntimeError("server did not start: " + self.stderr())

    def access_lines(self, settle=0.1, timeout=5):
        """The access log's lines (parsed) once its writer has caught up: the server writes a
        line within 10 ms, so the file is read when its size has not changed for `settle` s."""
        deadline, last = time.time() + timeout, None
        while time.time() < deadline:
            size = os.path.getsize(self.access) if os.path.exists(self.access) else -1
            if size == last:
                break
            last = size
            time.sleep(settle)
        with open(self.access) as f:
            return [json.loads(x) for x in f if x.strip()]

    def stderr(self):
        with open(self.log, "r", errors="replace") as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Sends sig and waits (bounded); returns the exit status (None if still running)."""
        if self.p.poll() is None:
            self.p.send_signal(sig)
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            try:
                self.p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        self.err.close()

    def conn(self, timeout=120):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, key=None, headers=None, timeout=120, conn=None):
        """Returns (status, headers dict (lower-case names), body bytes)."""
        h = dict(headers or {})
        if key:
            h["Authorization"] = "Bearer " + key
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        c = conn or self.conn(timeout)
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        if not conn:
            c.close()
        return r.status, hdrs, data

    def json(self, method, path, body=None, key=None, **kw):
        st, h, data = self.request(method, path, body, key, **kw)
        try:
            return st, json.loads(data)
        except ValueError:
            return st, None


def _stream_to_end(port, key, res):
    """One streamed completion that does not end by itself, read to its end: res gets "n"
    (bytes read), "last" (monotonic time of the last byte) and "data"."""
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    body = json.dumps({"model": "m", "prompt": "Once upon a time", "max_tokens": 100000, "ignore_eos": True,
                       "stream": True}).encode()
    s.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key.encode()
              + b"\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: "
              + str(len(body)).encode() + b"\r\n\r\n" + body)
    buf = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
        res["last"] = time.monotonic()
        res["n"] = len(buf)
    s.close()
    res["data"] = buf


def halt_streams(srv, user, admin, reason, n=8, started_bytes=200, timeout=60):
    """The kill switch under load: n streamed completions of key user running (each has sent
    started_bytes), then POST /v1/admin/halt by admin with reason. Returns (the halt's status,
    its answer, ms from sending the halt to the last byte of the slowest stream, the streams'
    bodies). The server is left halted."""
    res = [{} for _ in range(n)]
    ths = [threading.Thread(target=_stream_to_end, args=(srv.port, user, r)) for r in res]
    for th in ths:
        th.start()
    deadline = time.time() + timeout
    while time.time() < deadline and not all(r.get("n", 0) > started_bytes for r in res):
        time.sleep(0.005)
    t0 = time.monotonic()
    st, o = srv.json("POST", "/v1/admin/halt", {"reason": reason}, key=admin)
    for th in ths:
        th.join(timeout)
    worst = max((r.get("last", t0) - t0) * 1000 for r in res)
    return st, o, worst, [r.get("data", b"") for r in res]


def sse_events(data):
    """The JSON objects of a text/event-stream body, and whether it ended with [DONE]."""
    events, done = [], False
    for block in data.decode().split("\n\n"):
        if not block.startswith("data: "):
            continue
        payload = block[len("data: "):]
        if payload == "[DONE]":
            done = True
        else:
            events.append(json.loads(payload))
    return events, done


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, detail=""):
        self.n += 1
        if cond:
            print("ok %d - %s" % (self.n, name))
        else:
            self.failed += 1
            print("not ok %d - %s" % (self.n, name))
            if detail:
                for line in str(detail)[:2000].splitlines():
                    print("#   " + line)
        sys.stdout.flush()
        return cond

    def done(self):
        print("1..%d" % self.n)
        sys.exit(1 if self.failed else 0)
