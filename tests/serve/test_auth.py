#!/usr/bin/env python3
"""The webhook's authentication and framing (issue 20, finding 12):
- a webhook secret under 32 characters is refused at start (exit 4) with a
  help that says how to make one; 32 characters start;
- a request with two different Content-Length headers is answered 400 and
  stores nothing (the first one used to win);
- failed authorizations are limited per address: after 20 wrong secrets in
  a minute the address gets 429 with Retry-After, even with the right
  secret, while another address (127.0.0.2) is served.
The CRM is down (a closed loopback port): nothing is sent.

Usage: test_auth.py CRMMAP REPO_ROOT WORKDIR"""
import http.client
import json
import os
import socket
import subprocess

from servelib import SECRET, Serve, setup
import runlib

crmmap, root, work, c = setup()
mapping = os.path.join(root, "examples", "salesforce", "fair-leads.map")
DOWN = "http://127.0.0.1:9"

c.check(len(SECRET) >= 32, "the tests' secret is long enough")
try:
    short = subprocess.run([crmmap, "serve", mapping, "--listen", "127.0.0.1:0", "--plain-http", "--auth-env", "WH",
                            "--url", DOWN, "--token-env", "CRM_TOKEN", "--state-dir", os.path.join(work, "short")],
                           capture_output=True, text=True, timeout=15, env=dict(os.environ, WH="x" * 31, CRM_TOKEN="T"))
    code, said = short.returncode, short.stderr
except subprocess.TimeoutExpired as e:
    code, said = "still running after 15 s", str(e.stderr)
c.check(code == 4 and "at least 32 characters" in said and "openssl rand -hex 32" in said and "x" * 31 not in said,
        "a 31-character secret refused: %s %s" % (code, said[-300:]))

s = Serve(crmmap, mapping, os.path.join(work, "state"), "--url", DOWN, "--drain-ms", "0",
          env_extra={"WEBHOOK_SECRET": "y" * 32})
host, port = s.url.split("//")[1].rsplit(":", 1)
body = json.dumps(runlib.lead(1)).encode()


def raw(headers):
    """Sends one request with these header lines; returns the status line."""
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        head = "POST /records HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Type: application/json\r\n" % ("y" * 32)
        sock.sendall((head + "".join(h + "\r\n" for h in headers) + "Connection: close\r\n\r\n").encode() + body)
        data = b""
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        return data.split(b"\r\n", 1)[0].decode(errors="replace")


got = raw(["Content-Length: %d" % len(body), "Content-Length: %d" % (len(body) - 10)])
c.check(" 400 " in got, "two different Content-Length headers: 400, got %r" % got)
got = raw(["Content-Length: %d" % (len(body) - 10), "Content-Length: %d" % len(body)])
c.check(" 400 " in got, "the other order: 400, got %r" % got)
c.check(s.request("GET", "/status", auth="y" * 32)[1]["queue"]["total"] == 0, "nothing stored")
got = raw(["Content-Length: %d" % len(body)])
c.check(" 202 " in got, "one Content-Length: 202, got %r" % got)


def post_from(source, auth):
    conn = http.client.HTTPConnection(host, int(port), timeout=10, source_address=(source, 0))
    conn.request("POST", "/records", body=json.dumps(runlib.lead(7)),
                 headers={"Authorization": auth, "Content-Type": "application/json"})
    r = conn.getresponse()
    r.read()
    conn.close()
    return r.status, r.getheader("Retry-After")


got = [post_from("127.0.0.1", "wrong-%d" % i)[0] for i in range(20)]
c.check(got == [401] * 20, "20 wrong secrets: 401 each: %s" % got)
st, after = post_from("127.0.0.1", "wrong-again")
c.check(st == 429 and after is not None and 0 < int(after) <= 60, "the 21st: 429, Retry-After %s (%s)" % (after, st))
st, after = post_from("127.0.0.1", "y" * 32)
c.check(st == 429, "the right secret from that address waits too: %s" % st)
st, _ = post_from("127.0.0.2", "y" * 32)
c.check(st in (200, 202), "another address is served: %s" % st)
c.check(s.stop() == 0, "exit 0")
c.exit()
