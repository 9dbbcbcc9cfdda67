"""test_console_headers.py - GET /console without a browser: the page and its files come from
the binary with a strict Content-Security-Policy and the other headers, need no key, refuse
other methods, and the page holds no inline script, style or handler."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "server"))
import srvlib  # noqa: E402

t = srvlib.Tap()
home = srvlib.new_home()
srv = srvlib.Server(home, "--chat-template", "chatml")

st, h, body = srv.request("GET", "/console")
csp = h.get("content-security-policy", "")
t.ok(st == 200 and h.get("content-type", "").startswith("text/html"), "GET /console is the page, no key", st)
for part in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
             "object-src 'none'", "base-uri 'none'"):
    t.ok(part in csp, "CSP has " + part, csp)
t.ok("unsafe-inline" not in csp and "unsafe-eval" not in csp, "CSP allows nothing inline", csp)
t.ok(h.get("x-content-type-options") == "nosniff", "nosniff")
t.ok(h.get("referrer-policy") == "no-referrer", "Referrer-Policy no-referrer")
t.ok(h.get("x-frame-options") == "DENY", "X-Frame-Options DENY")
t.ok("cache-control" in h, "Cache-Control set")
html = body.decode()
t.ok(re.search(r"<script\b[^>]*>\s*[^<\s]", html) is None and "<style" not in html
     and re.search(r"\son[a-z]+\s*=", html) is None and "javascript:" not in html,
     "no inline script, style or handler")
t.ok('src="/console/app.js"' in html and 'href="/console/app.css"' in html, "the page loads its own files")

st2, h2, body2 = srv.request("GET", "/console/")
t.ok(st2 == 200 and body2 == body, "/console/ is the same page")
st, h, js = srv.request("GET", "/console/app.js")
t.ok(st == 200 and h.get("content-type", "").startswith("text/javascript") and b"textContent" in js,
     "app.js served as JavaScript", st)
t.ok(re.search(rb"innerHTML|outerHTML|insertAdjacentHTML|document\.write|localStorage|sessionStorage|document\.cookie",
               js) is None, "app.js never writes HTML nor stores anything")
t.ok("content-security-policy" in h, "the script carries the CSP too")
st, h, css = srv.request("GET", "/console/app.css")
t.ok(st == 200 and h.get("content-type", "").startswith("text/css"), "app.css served as CSS", st)
for bad in ("/console/nope.js", "/console/..%2fapp.js", "/console/app.js/x", "/consolex"):
    st, h, _ = srv.request("GET", bad)
    t.ok(st == 404, "404 for " + bad, st)
st, h, _ = srv.request("POST", "/console", body=b"{}")
t.ok(st == 405 and h.get("allow") == "GET", "POST /console is 405 naming GET", st)
t.ok(srv.stop() == 0, "server stops cleanly")
t.done()
