#!/usr/bin/env python3
"""Creates without a key in flight when the run is killed: only the
requests truly in flight are in doubt, and --resume sends none of them
again. HubSpot notes (associated on create, so keyless), 300 leads in one
window, 20 a batch, 2 requests at once: the server holds every notes
request 0.4 s and then applies it; crmmap is killed with SIGKILL once six
have arrived. Each note is journaled as sending right before its own
request leaves, and its answer as that request lands, so the resumed run
fails as UNAVAILABLE (error file lines) at most the 2 x 20 notes of the
requests in flight, each of which the server holds, and sends every other
note: 300 notes on the server, none twice. (Before, the whole window was
journaled as sending before the first request left, and all 300 failed.)

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
N, BATCH, IN_FLIGHT = 300, 20, 2
runlib.write_leads(inp, N, bad_every=0)
flags = ["--batch-size", str(BATCH), "--in-flight", str(IN_FLIGHT)] + s.flags
reset([{"kind": "timeout", "delay": 0.4, "count": 1000, "path": "/objects/notes/batch/create"}])
cmd = [crmmap, "run", mapping, "--input", inp, "--url", URL, "--plain-http", "--force", "--token-env", "CRM_TOKEN",
       "--errors", os.path.join(work, "errors.ndjson"), "--journal", os.path.join(work, "journal.db"),
       "--timeout-ms", "20000", "--quiet"] + flags
p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ, CRM_TOKEN="T"))
deadline = time.time() + 60
while time.time() < deadline and admin("/__admin/state")["faults_fired"].get("timeout", 0) < 6:
    time.sleep(0.02)
p.send_signal(signal.SIGKILL)
p.wait()
arrived = admin("/__admin/state")["faults_fired"].get("timeout", 0)
c.check(6 <= arrived < N // BATCH, "killed in the middle of the notes (%d requests had arrived)" % arrived)
time.sleep(1.0)     # the requests held when crmmap died are applied
held = len(runlib.records("hubspot", "notes"))
admin("/__admin/faults", {"seed": 1, "faults": []})
res = run(crmmap, mapping, inp, work, "--resume", *flags)
snap = s.snapshot()
lost = sorted(e["record"] for e in res.errors if e.get("entity") == "notes" and e.get("code") == "UNAVAILABLE")
c.check(len(lost) <= BATCH * IN_FLIGHT,
        "in doubt: %d notes, at most the %d of the requests in flight" % (len(lost), BATCH * IN_FLIGHT))
c.check(all("vr-%d" % r in snap.children for r in lost), "every note in doubt was sent: the server holds it")
c.check(res.status == (3 if lost else 0) and res.summary == (2 * N, 2 * N - len(lost), len(lost), 0),
        "resume: exit %d summary %s: %s" % (res.status, res.summary, res.stderr[-300:]))
c.check(len(res.errors) == len(lost), "no other error line (%d)" % len(res.errors))
c.check(snap.dups == 0 and len(snap.children) == N and len(snap.parents) == N,
        "every note once on the server: %d dups, %d notes (%d before the resume)"
        % (snap.dups, len(snap.children), held))
c.check(s.linked_right(snap), "each note linked to its own contact")
c.exit()
