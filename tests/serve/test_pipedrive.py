#!/usr/bin/env python3
"""`crmmap serve` with examples/pipedrive/fair-leads.map against the local
server's Pipedrive, a smoke test: a lead posted to /records whose person
Pipedrive holds updates it (found by search, again when posted again with
changes, not doubled), another becomes a Pipedrive lead under its
organization, each with its note; /status counts them.

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
runlib.admin("/__admin/records", {"system": "pipedrive", "table": "persons", "records": [
    {"id": 501, "name": "Known", "emails": [{"value": "lead0000001@example.com", "primary": True, "label": "work"}],
     "phones": [], "custom_fields": {}}]})
s = Serve(crmmap, mapping, os.path.join(work, "state"), "--batch-window-ms", "50")
lead = dict(runlib.lead(1), organization="Acme GmbH")
st, _ = s.post("/records", lead)
c.check(st == 202, "accepted: %s" % st)
st, _ = s.post("/records", dict(runlib.lead(2), organization="Beta AG"))
status = s.wait_sent()
c.check(status["queue"]["pending"] == 0, "everything sent: %s" % status)
persons = runlib.records("pipedrive", "persons")
orgs = runlib.records("pipedrive", "organizations")
leads = runlib.records("pipedrive", "leads")
notes = runlib.records("pipedrive", "notes")
one = persons.get("501", {})
c.check(len(persons) == 1 and one.get("custom_fields", {}).get(INTEREST) == 32, "the held person, Warm: %s" % persons)
c.check(len(orgs) == 2 and orgs.get(str(one.get("org_id")), {}).get("name") == "Acme GmbH", "the organization")
two = next(iter(leads.values()), {})
c.check(len(leads) == 1 and "lead0000002@example.com" in two.get("title", "")
        and orgs.get(str(two.get("organization_id")), {}).get("name") == "Beta AG",
        "the other a Pipedrive lead under its organization: %s" % leads)
c.check(sorted((str(n.get("person_id")), str(n.get("lead_id"))) for n in notes.values())
        == sorted([("501", "None"), ("None", str(two.get("id")))]), "a note on each: %s" % notes)

# A second visit of the same person: found by search and updated, not doubled.
again = dict(lead, answers=dict(lead["answers"], q_interest="very_interested"),
             visitreport=dict(lead["visitreport"], id="vr-1-again"))
st, _ = s.post("/records", again)
s.wait_sent()
persons = runlib.records("pipedrive", "persons")
c.check(len(persons) == 1 and persons["501"]["custom_fields"][INTEREST] == 31,
        "updated to Hot, not doubled: %s" % persons)
c.check(s.stop() == 0, "SIGTERM: exit 0")
c.exit()
