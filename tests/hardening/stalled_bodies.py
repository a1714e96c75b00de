#!/usr/bin/env python3
"""The memory serve takes for authenticated bodies that stall (issue 20,
finding 12: 512 bodies of 8 MiB held about 4 GiB): N connections each send
the headers of an 8 MiB POST and all of its body but the last byte, then
wait. Prints serve's resident memory before and after, and how the
requests were answered (a 503 with Retry-After is a body refused by
--max-body-memory). A script for a figure, not a CTest: it moves N x 8 MiB.

Usage: stalled_bodies.py CRMMAP REPO_ROOT WORKDIR [N] [SERVE FLAGS...]"""
import os
import shutil
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "serve"))
from servelib import SECRET, Serve  # noqa: E402

crmmap, root, work = sys.argv[1], sys.argv[2], sys.argv[3]
n = int(sys.argv[4]) if len(sys.argv) > 4 else 64
flags = sys.argv[5:]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
s = Serve(crmmap, os.path.join(root, "examples", "salesforce", "fair-leads.map"), os.path.join(work, "state"),
          "--url", "http://127.0.0.1:9", "--drain-ms", "0", *flags)
host, port = s.url.split("//")[1].rsplit(":", 1)


def rss_kib():
    with open("/proc/%d/status" % s.proc.pid) as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


size = 8 << 20
chunk = b" " * (1 << 20)
before = rss_kib()
socks, answers = [], {}
for i in range(n):
    sock = socket.create_connection((host, int(port)), timeout=30, source_address=("127.0.%d.%d" % (i // 200 + 1, i % 200 + 1), 0))
    sock.sendall(("POST /records HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Length: %d\r\n\r\n"
                  % (SECRET, size)).encode())
    socks.append(sock)
for i, sock in enumerate(socks):
    sent = 0
    sock.settimeout(0.5)
    try:
        while sent < size - 1:
            k = min(len(chunk), size - 1 - sent)
            sock.sendall(chunk[:k])
            sent += k
    except (socket.timeout, OSError):
        pass        # refused: serve answered and stopped reading
    sock.settimeout(0.05)
    try:
        data = sock.recv(4096)
        answers[i] = data.split(b"\r\n")[0].decode(errors="replace") if data else "closed"
    except socket.timeout:
        answers[i] = "waiting (body held)"
    except OSError as e:
        answers[i] = "closed (%s)" % e.__class__.__name__
time.sleep(2)
after = rss_kib()
counts = {}
for a in answers.values():
    counts[a] = counts.get(a, 0) + 1
print("%d stalled bodies of 8 MiB, flags %s" % (n, " ".join(flags) or "(defaults)"))
print("serve RSS: %d MiB before, %d MiB with the bodies held" % (before // 1024, after // 1024))
for a, k in sorted(counts.items()):
    print("  %4d  %s" % (k, a))
for sock in socks:
    sock.close()
s.stop()
