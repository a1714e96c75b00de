#!/usr/bin/env python3
"""The inbox while the CRM is down (issue 20, finding 6). The CRM URL is a
closed loopback port, so nothing is ever sent and the sender never commits.
1. The WAL stays bounded: 150 posts (each its own commit, about 18 KB of
   WAL) leave inbox.db-wal under 1.5 MiB (it grew to 2.7 MB, linearly with
   the posts, when only the sender's commits checkpointed: 2,000 req/s was
   130 GB an hour).
2. The disk-use cap: with --max-inbox 64k, batches of 10 records are
   answered 202 until the inbox holds 64 KiB, then 507 with Retry-After;
   every 202 is stored, no 507 is.

Usage: test_inbox_cap.py CRMMAP REPO_ROOT WORKDIR"""
import json
import os
import shutil
import sqlite3
import sys
import time
import urllib.error
import urllib.request

from servelib import SECRET, Serve
import runlib

crmmap, root, work = sys.argv[1], sys.argv[2], sys.argv[3]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
c = runlib.Checks()
mapping = os.path.join(root, "examples", "salesforce", "fair-leads.map")
DOWN = "http://127.0.0.1:9"     # discard's port: nothing listens on loopback there

state = os.path.join(work, "wal")
s = Serve(crmmap, mapping, state, "--url", DOWN, "--batch-window-ms", "0", "--drain-ms", "0")
wal = os.path.join(state, "inbox.db-wal")
largest = 0
t0 = time.time()
for i in range(1, 151):
    st, _ = s.post("/records", runlib.lead(i))
    c.check(st == 202, "post %d: 202, got %s" % (i, st))
    if i % 10 == 0:
        largest = max(largest, os.path.getsize(wal))
print("150 posts, CRM down: largest WAL %d bytes (%.1f s)" % (largest, time.time() - t0))
c.check(largest < 1.5 * 2**20, "WAL bounded while the CRM is down: %d bytes" % largest)
c.check(s.status()["queue"]["pending"] == 150, "all 150 pending")
c.check(s.stop() == 0, "exit 0")

state = os.path.join(work, "cap")
s = Serve(crmmap, mapping, state, "--url", DOWN, "--batch-window-ms", "0", "--drain-ms", "0", "--max-inbox", "64k")
answers = []
full = None
for i in range(1, 101):
    batch = "\n".join(json.dumps(runlib.lead(10 * i + k)) for k in range(10))
    req = urllib.request.Request(s.url + "/records/batch", data=batch.encode(), method="POST",
                                 headers={"Authorization": SECRET, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            answers.append(r.status)
    except urllib.error.HTTPError as e:
        answers.append(e.code)
        if e.code == 507:
            full = (e.headers.get("Retry-After"), json.loads(e.read()))
            break
accepted = 10 * answers.count(202)
print("--max-inbox 64k: %d records accepted, then %s" % (accepted, answers[-1]))
c.check(full is not None and accepted > 20, "507 once full, after some 202s: %s" % answers[-3:])
if full:
    c.check(full[0] is not None and int(full[0]) > 0, "Retry-After: %s" % full[0])
    c.check(full[1].get("error") == "inbox_full" and "--max-inbox" in full[1].get("message", ""),
            "507 says why: %s" % full[1])
st = s.status()
c.check(st["queue"]["pending"] == accepted, "every 202 stored, no 507: %s" % st["queue"])
c.check(s.stop() == 0, "exit 0")
db = sqlite3.connect(os.path.join(state, "inbox.db"))
c.check(db.execute("SELECT count(*) FROM records").fetchone()[0] == accepted, "the inbox holds the 202s")
db.close()
c.exit()
