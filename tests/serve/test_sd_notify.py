#!/usr/bin/env python3
"""Readiness for systemd's Type=notify (packaging/crmmap-serve.service):
serve started with NOTIFY_SOCKET sends READY=1 (with STATUS=listening on
URL) to that unix datagram socket once it listens, and /healthz answers at
that moment without a retry; at SIGTERM it sends STOPPING=1 and exits 0.
Both forms of the variable: a path, and an abstract name ('@...'). A
NOTIFY_SOCKET nobody listens on is a warning, not a failure. The CRM URL is
a closed loopback port: nothing is sent, no CRM server needed.

Usage: test_sd_notify.py CRMMAP REPO_ROOT WORKDIR"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import urllib.request

from servelib import SECRET
import runlib

crmmap, root, work = sys.argv[1:4]
c = runlib.Checks()
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
mapping = os.path.join(root, "examples", "salesforce", "fair-leads.map")


def start(state, notify_socket):
    env = dict(os.environ, CRM_TOKEN="T", WEBHOOK_SECRET=SECRET, NOTIFY_SOCKET=notify_socket)
    err = open(os.path.join(work, os.path.basename(state) + ".stderr"), "w+")
    proc = subprocess.Popen([crmmap, "serve", mapping, "--listen", "127.0.0.1:0", "--plain-http",
                             "--auth-env", "WEBHOOK_SECRET", "--url", "http://127.0.0.1:9", "--token-env",
                             "CRM_TOKEN", "--state-dir", state, "--drain-ms", "0",
                             # The CRM is a closed port: no field definitions to check drift against.
                             "--force"],
                            stdout=subprocess.DEVNULL, stderr=err, env=env)
    return proc, err


def messages(datagram):
    return dict(line.split("=", 1) for line in datagram.decode().split("\n") if line)


for form in ("path", "abstract"):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if form == "path":
        name = os.path.join(work, "notify.sock")
        sock.bind(name)
    else:
        name = "@crmmap-test-notify-%d" % os.getpid()
        sock.bind("\0" + name[1:])
    sock.settimeout(30)
    proc, err = start(os.path.join(work, "state-" + form), name)
    try:
        ready = messages(sock.recv(4096))
        # The first datagram is READY=1: nothing is announced before serve listens.
        c.check(ready.get("READY") == "1", "%s: the first notification is READY=1: %s" % (form, ready))
        m = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+)", ready.get("STATUS", ""))
        c.check(m is not None, "%s: STATUS names the address: %s" % (form, ready))
        if m:
            with urllib.request.urlopen(m.group(1) + "/healthz", timeout=10) as r:
                c.check(r.status == 200, "%s: /healthz answers 200 as READY=1 arrives, got %s" % (form, r.status))
        proc.send_signal(signal.SIGTERM)
        stopping = messages(sock.recv(4096))
        c.check(stopping.get("STOPPING") == "1" and "stopping" in stopping.get("STATUS", ""),
                "%s: STOPPING=1 with a STATUS at SIGTERM: %s" % (form, stopping))
        c.check(proc.wait(timeout=30) == 0, "%s: exit 0, got %s" % (form, proc.returncode))
    except socket.timeout:
        c.check(False, "%s: no notification within 30 s" % form)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        sock.close()
    err.seek(0)
    text = err.read()
    c.check("cannot notify" not in text, "%s: no warning:\n%s" % (form, text))

# Nobody listens on the socket: serve runs, and says why systemd would not see it start.
proc, err = start(os.path.join(work, "state-nobody"), os.path.join(work, "nobody.sock"))
ok = False
for _ in range(200):
    err.seek(0)
    text = err.read()
    if "cannot notify the service manager" in text:
        ok = True
        break
    if proc.poll() is not None:
        break
    try:
        proc.wait(timeout=0.1)
    except subprocess.TimeoutExpired:
        pass
c.check(ok and "NOTIFY_SOCKET=" + os.path.join(work, "nobody.sock") in text and "help:" in text,
        "an unusable NOTIFY_SOCKET is a warning with a help:\n%s" % text)
c.check(proc.poll() is None, "serve keeps running without the service manager")
proc.send_signal(signal.SIGTERM)
c.check(proc.wait(timeout=30) == 0, "exit 0 after the warning, got %s" % proc.returncode)
c.exit()
