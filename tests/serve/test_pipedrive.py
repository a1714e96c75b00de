#!/usr/bin/env python3
"""`crmmap serve` with examples/pipedrive/fair-leads.map against the local
server's Pipedrive, a smoke test: leads posted to /records land as persons
(found by search and updated when posted again with changes, not doubled),
their organization and the note; /status counts them.

Usage: test_pipedrive.py CRMMAP REPO_ROOT WORKDIR"""
import os
import shutil
import sys

from servelib import Serve
import runlib

crmmap, root, work = sys.argv[1], sys.argv[2], sys.argv[3]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
c = runlib.Checks()
mapping = os.path.join(root, "examples", "pipedrive", "fair-leads.map")
INTEREST = "bfbb92d80d256195ed09c6cc0ac2679b08b2e3fc"

runlib.reset()
s = Serve(crmmap, mapping, os.path.join(work, "state"), "--batch-window-ms", "50")
lead = dict(runlib.lead(1), organization="Acme GmbH")
st, _ = s.post("/records", lead)
c.check(st == 202, "accepted: %s" % st)
st, _ = s.post("/records", runlib.lead(2))
status = s.wait_sent()
c.check(status["queue"]["pending"] == 0, "everything sent: %s" % status)
persons = runlib.records("pipedrive", "persons")
orgs = runlib.records("pipedrive", "organizations")
notes = runlib.records("pipedrive", "notes")
by_email = {p["emails"][0]["value"]: p for p in persons.values()}
one = by_email.get("lead0000001@example.com", {})
c.check(len(persons) == 2 and one.get("custom_fields", {}).get(INTEREST) == 32, "two persons, Warm: %s" % persons)
c.check(len(orgs) == 1 and orgs.get(str(one.get("org_id")), {}).get("name") == "Acme GmbH", "the organization")
c.check(len(notes) == 2 and all(str(n["person_id"]) in persons for n in notes.values()), "notes on the persons")

# A second visit of the same person: found by search and updated, not doubled.
again = dict(lead, answers=dict(lead["answers"], q_interest="very_interested"),
             visitreport=dict(lead["visitreport"], id="vr-1-again"))
st, _ = s.post("/records", again)
s.wait_sent()
persons = runlib.records("pipedrive", "persons")
by_email = {p["emails"][0]["value"]: p for p in persons.values()}
c.check(len(persons) == 2 and by_email["lead0000001@example.com"]["custom_fields"][INTEREST] == 31,
        "updated to Hot, not doubled: %s" % persons)
c.check(s.stop() == 0, "SIGTERM: exit 0")
c.exit()
