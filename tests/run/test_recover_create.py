#!/usr/bin/env python3
"""Keyless creates in flight when the run is killed are recovered by
--resume, not written off. SYSTEM dynamics: contacts created without a key,
each carrying a contactid crmmap derives from its journal entry, so sent as
safely as an upsert, in CreateMultiple sets; the resumed run sends those
without a journaled answer again, a set the server holds is refused whole
for its duplicate keys and goes again as a $batch, where the "duplicate key"
of each record the server holds counts as written. SYSTEM hubspot: notes created without a
key with the connection's marker_field; the resumed run reads those in
doubt back by their marker and sends only the ones the server lacks. The
server holds every create request 0.4 s and applies it; crmmap is killed
with SIGKILL once four have arrived (20 a batch, 2 at once). Either way:
no error line, every lead's record once on the server.

Usage: test_recover_create.py SYSTEM CRMMAP REPO_ROOT CORPUS WORKDIR"""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import runlib
import systems
from runlib import URL, admin, reset, run

system, crmmap, root, corpus, work = sys.argv[1:6]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
c = runlib.Checks()
N, BATCH, IN_FLIGHT = 200, 20, 2
config = os.path.join(work, "crm.json")
if system == "dynamics":
    mapping = os.path.join(work, "contacts.map")
    shutil.copy(os.path.join(root, "examples", "schemas", "snapaddy", "lead.json"), work)
    shutil.copytree(os.path.join(root, "tests", "run", "maps", "faults", "dynamics"), os.path.join(work, "dynamics"))
    with open(mapping, "w", encoding="utf-8") as f:
        f.write('mapping "keyless-contacts"\n'
                'source snapaddy schema "lead.json"\n'
                'target dynamics schema "dynamics"\n'
                'entity contact create {\n'
                '  emailaddress1 = lower(trim(email))\n'
                '  lastname      = lastName ?? "(unknown)"\n'
                '}\n')
    shutil.copy(systems.Dynamics().config(work), config)
    path, flags = "/contacts/Microsoft.Dynamics.CRM.CreateMultiple", []

    def held():
        return sorted(r["emailaddress1"] for r in runlib.records("dynamics", "contact").values())
else:
    s = systems.get("hubspot_keyless", crmmap)
    mapping = s.mapping(root, work, corpus)
    with open(config, "w", encoding="utf-8") as f:
        json.dump({"system": "hubspot", "url": URL, "token_env": "CRM_TOKEN", "marker_field": "crmmap_marker"}, f)
    path, flags = "/objects/notes/batch/create", s.flags

    def held():
        return sorted(r["properties"]["hs_note_body"].split()[1] for r in runlib.records("hubspot", "notes").values())
inp = os.path.join(work, "leads.ndjson")
runlib.write_leads(inp, N, bad_every=0)
flags = ["--batch-size", str(BATCH), "--in-flight", str(IN_FLIGHT)] + flags
reset([{"kind": "timeout", "delay": 0.4, "count": 1000, "path": path}])
cmd = [crmmap, "run", mapping, "--input", inp, "--config", config, "--plain-http", "--force",
       "--errors", os.path.join(work, "errors.ndjson"), "--journal", os.path.join(work, "journal.db"),
       "--timeout-ms", "20000", "--quiet"] + flags
env = dict(os.environ, CRM_TOKEN="T", CRM_SECRET="shh")
p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True)
deadline = time.time() + 60
while time.time() < deadline and p.poll() is None \
        and admin("/__admin/state")["faults_fired"].get("timeout", 0) < 4:
    time.sleep(0.02)
c.check(p.poll() is None, "the run was still sending when killed: %s" % (p.stderr.read()[-300:] if p.poll() else ""))
p.send_signal(signal.SIGKILL)
p.wait()
time.sleep(1.0)     # the requests held when crmmap died are applied
before = held()
c.check(0 < len(before) < N, "killed in the middle (%d of %d on the server)" % (len(before), N))
db = sqlite3.connect(os.path.join(work, "journal.db"))
doubt = db.execute("SELECT count(*) FROM entries WHERE state = 1").fetchone()[0]
done = db.execute("SELECT count(*) FROM entries WHERE state = 2").fetchone()[0]
db.close()
if system == "dynamics":
    # Sent as safely as an upsert: nothing journaled before a request leaves,
    # and records the server holds have no journaled answer yet.
    c.check(doubt == 0 and done < len(before),
            "no create journaled as sending, %d on the server without a journaled answer" % (len(before) - done))
else:
    c.check(0 < doubt <= BATCH * IN_FLIGHT,
            "in doubt: %d creates, at most the %d of the requests in flight" % (doubt, BATCH * IN_FLIGHT))
admin("/__admin/faults", {"seed": 1, "faults": []})
res = run(crmmap, mapping, inp, work, "--resume", *flags, config=config)
after = held()
c.check(res.status == 0 and res.summary is not None and res.summary[:3] == (N if system == "dynamics" else 2 * N,) * 2
        + (0,), "resume: exit %d summary %s: %s" % (res.status, res.summary, res.stderr[-300:]))
c.check(res.errors == [], "nothing written off: %s" % res.errors[:2])
c.check(len(after) == N and len(set(after)) == N,
        "every lead's record once on the server: %d records, %d distinct" % (len(after), len(set(after))))
c.exit()
