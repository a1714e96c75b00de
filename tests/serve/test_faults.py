#!/usr/bin/env python3
"""`crmmap serve` with CRM faults: records posted one per request from
several clients while crmserver answers 429, 5xx, resets (before and after
applying the write) and truncated JSON reach the CRM exactly once; during a
full outage the records wait in the inbox, /status shows the CRM's error,
and they go out once the CRM is back.

Usage: test_faults.py CRMMAP REPO_ROOT WORKDIR"""
import collections
import concurrent.futures
import os
import shutil
import sys
import time

from servelib import Serve
import runlib

crmmap, root, work = sys.argv[1], sys.argv[2], sys.argv[3]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
c = runlib.Checks()
mapping = os.path.join(root, "examples", "salesforce", "fair-leads.map")

faults = [{"kind": k, "count": 1000, "probability": 0.12} for k in
          ("429", "500", "503", "reset_before", "reset_after", "invalid_json")]
runlib.reset(faults=faults, seed=7)
s = Serve(crmmap, mapping, os.path.join(work, "state"), "--batch-window-ms", "100", "--batch-size", "50")

N = 240
with concurrent.futures.ThreadPoolExecutor(8) as pool:
    answers = list(pool.map(lambda i: s.post("/records", runlib.lead(i))[0], range(1, N + 1)))
c.check(answers.count(202) == N, "every post accepted: %s" % collections.Counter(answers))
st = s.wait_sent(timeout=40)
c.check(st["queue"]["pending"] == 0, "all sent: %s" % st["queue"])
fired = runlib.admin("/__admin/state")["faults_fired"]
c.check(sum(fired.values()) > 0, "faults fired: %s" % fired)


def exactly_once(n, what):
    emails = collections.Counter(str(r.get("Email")).lower() for r in runlib.records("salesforce", "Contact").values())
    visits = collections.Counter(r.get("External_Id__c") for r in runlib.records("salesforce", "Visit_Report__c").values())
    c.check(len(emails) == n and set(emails.values()) == {1}, "%s: %d contacts once each, got %d (max %d)"
            % (what, n, len(emails), max(emails.values() or [0])))
    c.check(len(visits) == n and set(visits.values()) == {1}, "%s: %d visit reports once each, got %d"
            % (what, n, len(visits)))


exactly_once(N, "with faults")
c.check(st["units"]["ok"] == 2 * N and st["units"]["failed"] == 0, "units: %s" % st["units"])

# A full outage: every write answered 503 until the CRM is back.
runlib.admin("/__admin/faults", {"seed": 1, "faults": [{"kind": "503", "count": 100000, "probability": 1.0}]})
for i in range(N + 1, N + 21):
    s.post("/records", runlib.lead(i))
deadline = time.time() + 25
st = s.status()
while st["crm"]["last_error"] is None and time.time() < deadline:
    time.sleep(0.2)
    st = s.status()
c.check(st["crm"]["last_error"] is not None and st["crm"]["last_error_at"], "outage in /status: %s" % st["crm"])
c.check(st["queue"]["pending"] == 20, "outage: 20 records wait in the inbox: %s" % st["queue"])
runlib.admin("/__admin/faults", {"seed": 1, "faults": []})
st = s.wait_sent(timeout=40)
c.check(st["queue"]["pending"] == 0, "after the outage: all sent: %s" % st["queue"])
exactly_once(N + 20, "after the outage")
c.check(st["units"]["ok"] == 2 * (N + 20) and st["units"]["failed"] == 0,
        "units counted once across failed rounds: %s" % st["units"])
c.check(s.stop() == 0, "exit 0")
c.exit()
