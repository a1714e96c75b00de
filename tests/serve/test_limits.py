#!/usr/bin/env python3
"""serve's limits against idle, slow and greedy clients (issue 20, findings 2
and 12; docs/serve.md, "Limits"), with small limits given by flags:
- connections from one address beyond --max-per-address are closed at once,
  while another loopback address (127.0.0.2) is served;
- with --max-connections taken by idle connections, /healthz and /status
  still answer (the reserve) and a POST is answered 503 with Retry-After;
- a client that drips its headers is cut at --header-timeout, one that
  drips its body at --body-timeout, though each byte comes well within the
  30 s idle timeout;
- a body that would take the bodies being received past --max-body-memory
  is answered 503 with Retry-After before it is read, and served once the
  other body is done.
The CRM is down (a closed loopback port): nothing is sent.

Usage: test_limits.py CRMMAP REPO_ROOT WORKDIR"""
import json
import os
import select
import socket
import time

from servelib import DOWN, SECRET, Serve, exchange, setup
import runlib

crmmap, root, work, c = setup()
mapping = os.path.join(root, "examples", "salesforce", "fair-leads.map")


def start(name, *flags):
    s = Serve(crmmap, mapping, os.path.join(work, name), "--url", DOWN, "--drain-ms", "0", *flags)
    host, port = s.url.split("//")[1].rsplit(":", 1)
    return s, (host, int(port))


def connect(addr, source):
    sock = socket.create_connection(addr, timeout=10, source_address=(source, 0))
    return sock


def closed_by_server(sock):
    """Whether the server closed sock (EOF or reset); does not wait."""
    sock.setblocking(False)
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        sock.setblocking(True)


def request(addr, source, method, path, body=b"", auth=SECRET):
    """One request on its own connection: (status, Retry-After or None)."""
    with connect(addr, source) as sock:
        head = "%s %s HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % (
            method, path, auth, len(body))
        status, heads = exchange(sock, head.encode() + body)
    return status, heads.get("retry-after")


def lead_body(i, size=0):
    body = json.dumps(runlib.lead(i)).encode()
    return body + b" " * max(0, size - len(body))


# --- connections: per address, then all of them ---
s, addr = start("conn", "--max-per-address", "4", "--max-connections", "8", "--header-timeout", "30")
idle = [connect(addr, "127.0.0.1") for _ in range(6)]
deadline = time.time() + 10
while sum(closed_by_server(x) for x in idle) < 2 and time.time() < deadline:
    select.select(idle, [], [], 0.1)
shut = [closed_by_server(x) for x in idle]
c.check(shut.count(True) == 2, "6 idle connections from 127.0.0.1, limit 4: 2 closed by serve, got %d" % shut.count(True))
kept = [x for x, gone in zip(idle, shut) if not gone]
st, _ = request(addr, "127.0.0.2", "GET", "/healthz")
c.check(st == 200, "/healthz from 127.0.0.2 meanwhile: 200, got %s" % st)
st, _ = request(addr, "127.0.0.2", "POST", "/records", lead_body(1))
c.check(st == 202, "a POST from 127.0.0.2: 202, got %s" % st)
kept += [connect(addr, "127.0.0.3") for _ in range(4)]
# serve accepts connections in order, so the POST below comes after these;
# the pause only keeps two pool threads from racing over the last of them.
time.sleep(0.3)
c.check(not any(closed_by_server(x) for x in kept), "8 idle connections (4 + 4 addresses) kept")
st, _ = request(addr, "127.0.0.2", "GET", "/healthz")
c.check(st == 200, "every connection taken: /healthz still 200, got %s" % st)
st, _ = request(addr, "127.0.0.2", "GET", "/status")
c.check(st == 200, "every connection taken: /status still 200, got %s" % st)
st, after = request(addr, "127.0.0.2", "POST", "/records", lead_body(2))
c.check(st == 503 and after == "1", "every connection taken: a POST gets 503, Retry-After 1: %s %s" % (st, after))
for x in kept:
    x.close()
c.check(s.stop() == 0, "exit 0")

# --- deadlines: a header or a body dripped a byte at a time ---
s, addr = start("slow", "--header-timeout", "1", "--body-timeout", "2")


def drip(prefix, byte):
    """Sends prefix, then byte every 0.2 s until serve closes the
    connection; returns the seconds that took, or None after 10 s."""
    sock = connect(addr, "127.0.0.1")
    t0 = time.time()
    sock.sendall(prefix)
    sock.settimeout(0.2)
    try:
        while time.time() - t0 < 10:
            try:
                if sock.recv(1) == b"":
                    return time.time() - t0
            except socket.timeout:
                sock.sendall(byte)
    except OSError:
        return time.time() - t0
    finally:
        sock.close()
    return None


took = drip(b"POST /records HTTP/1.1\r\nHost: x\r\nX-Slow: ", b"a")
c.check(took is not None, "headers dripped: cut (--header-timeout 1) after %s s" % took)
head = "POST /records HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Length: 100000\r\n\r\n" % SECRET
took = drip(head.encode(), b" ")
c.check(took is not None, "a body dripped: cut (--body-timeout 2) after %s s" % took)
st, _ = request(addr, "127.0.0.1", "POST", "/records", lead_body(3))
c.check(st == 202, "a POST in time: 202, got %s" % st)
c.check(s.stop() == 0, "exit 0")

# --- the memory of bodies being received ---
s, addr = start("bodies", "--max-body", "64k", "--max-body-memory", "64k")
big = lead_body(4, 40000)
slow = connect(addr, "127.0.0.1")
head = ("POST /records HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Length: %d\r\nExpect: 100-continue\r\n"
        "Connection: close\r\n\r\n" % (SECRET, len(big)))
slow.sendall(head.encode())
cont = slow.recv(4096)
c.check(cont.startswith(b"HTTP/1.1 100"), "the first body's headers taken: 100 Continue, got %r" % cont[:40])
slow.sendall(big[:1000])
st, after = request(addr, "127.0.0.2", "POST", "/records", lead_body(5, 40000))
c.check(st == 503 and after == "1", "a second 40,000-byte body past the 64 KiB budget: 503, Retry-After 1: %s %s"
        % (st, after))
st, _ = request(addr, "127.0.0.2", "POST", "/records", lead_body(6))
c.check(st == 202, "a small body fits beside it: 202, got %s" % st)
slow.sendall(big[1000:])
answer = slow.recv(4096)
c.check(b" 202 " in answer.split(b"\r\n")[0], "the first body completed: 202, got %r" % answer[:40])
slow.close()
st, _ = request(addr, "127.0.0.2", "POST", "/records", lead_body(5, 40000))
c.check(st == 202, "the second body sent again once the first is done: 202, got %s" % st)
c.check(s.stop() == 0, "exit 0")
c.exit()
