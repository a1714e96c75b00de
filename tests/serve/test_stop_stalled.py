#!/usr/bin/env python3
"""SIGTERM while requests wait for an inbox commit that takes longer than
the stop's patience (issue 20, finding 9): another process holds the
inbox's write lock for 12 s, two requests are being stored (the /status
gauge says so), then SIGTERM. serve must not abort (libmicrohttpd panics
when stopped with suspended connections): it exits 0, every request gets
an answer (202 once stored, 503 "send again" when the commit gave up),
and each record answered 202 is in the inbox.

Usage: test_stop_stalled.py CRMMAP REPO_ROOT WORKDIR"""
import os
import signal
import sqlite3
import threading
import time

from servelib import Serve, setup
import runlib

crmmap, root, work, c = setup()
mapping = os.path.join(root, "examples", "salesforce", "fair-leads.map")
state = os.path.join(work, "state")
runlib.reset()
s = Serve(crmmap, mapping, state, "--batch-window-ms", "0")

lock = sqlite3.connect(os.path.join(state, "inbox.db"), isolation_level=None, timeout=30)
lock.execute("BEGIN IMMEDIATE")
answers = {}


def post(i):
    try:
        answers[i] = s.post("/records", runlib.lead(i))[0]
    except OSError as e:
        answers[i] = repr(e)


def wait_storing(n, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if s.status()["queue"]["storing"] >= n:
            return True
        time.sleep(0.02)
    return False


threads = []
for i in (1, 2):
    t = threading.Thread(target=post, args=(i,))
    t.start()
    threads.append(t)
    c.check(wait_storing(i), "request %d is being stored" % i)
t0 = time.time()
s.proc.send_signal(signal.SIGTERM)
# The lock outlasts the stop's former 10 s of patience, then goes.
try:
    s.proc.wait(timeout=12)
except Exception:
    pass
lock.execute("ROLLBACK")
lock.close()
code = s.stop(timeout=30)
for t in threads:
    t.join()
print("stopped in %.1f s, answers %s" % (time.time() - t0, answers))
c.check(code == 0, "SIGTERM: exit 0, got %s" % code)
c.check("suspended connections" not in s.stderr, "no libmicrohttpd panic: %s" % s.stderr[-300:])
c.check(sorted(answers) == [1, 2] and all(a in (202, 503) for a in answers.values()),
        "every request answered 202 or 503: %s" % answers)
db = sqlite3.connect(os.path.join(state, "inbox.db"))
stored = db.execute("SELECT count(*) FROM records").fetchone()[0]
db.close()
c.check(stored == sum(1 for a in answers.values() if a == 202), "the 202s are stored: %d" % stored)
c.exit()
