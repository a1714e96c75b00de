#!/usr/bin/env python3
"""A create without a key in flight when the run is killed: --resume must
not send it again. HubSpot notes (associated on create, so keyless): the
server holds the first notes request 3 s and applies it; crmmap is killed
with SIGKILL meanwhile, so the notes stay J_SENDING. The resumed run fails
them with UNAVAILABLE (error file lines) instead of creating them a second
time: the applied 100 are on the server once. (The journal cannot tell the
requests that left from those that did not, so the window's unsent notes
fail too: reported, not doubled.)

Usage: test_lost_create.py CRMMAP REPO_ROOT CORPUS WORKDIR"""
import os
import shutil
import signal
import subprocess
import sys
import time

import runlib
import systems
from runlib import URL, admin, reset, run

crmmap, root, corpus, work = sys.argv[1:5]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
c = runlib.Checks()
s = systems.get("hubspot_keyless", crmmap)
mapping = s.mapping(root, work, corpus)
inp = os.path.join(work, "leads.ndjson")
runlib.write_leads(inp, 300, bad_every=0)
flags = ["--batch-size", "100", "--in-flight", "1"] + s.flags
reset([{"kind": "timeout", "delay": 3, "count": 1, "path": "/objects/notes/batch/create"}])
cmd = [crmmap, "run", mapping, "--input", inp, "--url", URL, "--plain-http", "--force", "--token-env", "CRM_TOKEN",
       "--errors", os.path.join(work, "errors.ndjson"), "--journal", os.path.join(work, "journal.db"),
       "--timeout-ms", "20000", "--quiet"] + flags
p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ, CRM_TOKEN="T"))
deadline = time.time() + 60
while time.time() < deadline and not admin("/__admin/state")["faults_fired"].get("timeout"):
    time.sleep(0.05)
p.send_signal(signal.SIGKILL)
p.wait()
c.check(admin("/__admin/state")["faults_fired"].get("timeout") == 1, "the notes request was held when killed")
time.sleep(3.5)     # the held request is applied
held = len(runlib.records("hubspot", "notes"))
c.check(held == 100, "the killed run's notes request was applied (%d notes)" % held)
res = run(crmmap, mapping, inp, work, "--resume", *flags)
snap = s.snapshot()
lost = sorted(e["record"] for e in res.errors if e.get("entity") == "notes" and e.get("code") == "UNAVAILABLE")
# Every note of the window was journaled J_SENDING before the first request
# left, and the journal cannot tell which requests did: all fail.
c.check(res.status == 3 and res.summary == (600, 300, 300, 0), "resume: exit %d summary %s: %s"
        % (res.status, res.summary, res.stderr[-300:]))
c.check(lost == list(range(1, 301)) and len(res.errors) == 300,
        "resume: the notes left in flight failed, not resent (%d)" % len(lost))
c.check(snap.dups == 0 and len(snap.children) == 100 and len(snap.parents) == 300,
        "no note twice on the server: %d dups, %d notes (the killed run's 100)" % (snap.dups, len(snap.children)))
c.check(s.linked_right(snap), "each note linked to its own contact")
c.exit()
