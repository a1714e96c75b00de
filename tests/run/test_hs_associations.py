#!/usr/bin/env python3
"""End to end: HubSpot `ref` through an association pseudo-field. The
schemas are imported for the test (contacts from the corpus, notes from
maps/hubspot/notes.properties.json), then `crmmap check` accepts the
notes -> contacts association and gives E0111 for a notes -> companies one
written with `ref contacts`, and `crmmap run` creates contacts and notes:
each note lands associated (type 202) with its own contact, and the note of
a contact HubSpot refused is skipped, not sent.

Usage: test_hs_associations.py CRMMAP REPO_ROOT CORPUS WORKDIR"""
import json
import os
import shutil
import subprocess
import sys

import runlib
from runlib import api, records, reset, run

crmmap, root, corpus, work = sys.argv[1:5]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(os.path.join(work, "schemas"))
c = runlib.Checks()
here = os.path.join(root, "tests", "run", "maps", "hubspot")
shutil.copy(os.path.join(root, "examples", "schemas", "snapaddy", "lead.json"), work)  # paths are relative


def crm(*args):
    return subprocess.run([crmmap] + list(args), capture_output=True, text=True, timeout=60)


for entity, doc in (("contacts", os.path.join(corpus, "hubspot", "tracardi_crm_v3_properties_contacts.json")),
                    ("notes", os.path.join(here, "notes.properties.json"))):
    p = crm("schema", "import", "--system", "hubspot", "--entity", entity, doc, "-o", os.path.join(work, "schemas"))
    c.check(p.returncode == 0, "import %s: %s" % (entity, p.stderr))
with open(os.path.join(work, "schemas", "notes.json"), encoding="utf-8") as f:
    notes = {x["name"]: x for x in json.load(f)["fields"]}
a = notes.get("assoc_contacts_202", {})
c.check(a.get("type") == "reference" and a.get("references") == ["contacts"] and a.get("createable")
        and not a.get("updateable"), "notes schema: the contacts association pseudo-field: %s" % a)
c.check(sorted(n for n in notes if n.startswith("assoc_")) ==
        ["assoc_companies_190", "assoc_contacts_202", "assoc_deals_214", "assoc_tickets_228"],
        "notes schema: one pseudo-field per default association type")

maps = {}
for name in ("notes.map", "notes_wrong_type.map"):
    with open(os.path.join(here, name), encoding="utf-8") as f:
        text = f.read().replace("@LEAD@", "lead.json")
    maps[name] = os.path.join(work, name)
    with open(maps[name], "w", encoding="utf-8") as f:
        f.write(text)

ok = crm("check", maps["notes.map"])
c.check(ok.returncode == 0, "check: ref contacts into assoc_contacts_202 accepted: %s" % ok.stderr)
bad = crm("check", maps["notes_wrong_type.map"])
c.check(bad.returncode == 1 and "E0111" in bad.stderr and "links to companies, not to contacts" in bad.stderr,
        "check: ref contacts into assoc_companies_190 is E0111: %s" % bad.stderr)

# Three leads; the second's contact exists already, so HubSpot refuses its
# create (409): its note must be skipped.
reset()
api("POST", "/crm/v3/objects/contacts/batch/create",
    {"inputs": [{"properties": {"email": "lead0000002@example.com"}, "associations": []}]})
leads = os.path.join(work, "leads.ndjson")
with open(leads, "w", encoding="utf-8") as f:
    for i in (1, 2, 3):
        f.write(json.dumps(runlib.lead(i)) + "\n")
res = run(crmmap, maps["notes.map"], leads, work, "--batch-size", "1")
c.check(res.status == 3 and res.summary == (6, 4, 1, 1), "run: exit %d summary %s: %s"
        % (res.status, res.summary, res.stderr[-400:]))
contacts = {r["properties"]["email"]: r["id"] for r in records("hubspot", "contacts").values()}
noted = records("hubspot", "notes")
c.check(len(noted) == 2, "run: two notes, not %d" % len(noted))
c.check(all("assoc_contacts_202" not in n["properties"] for n in noted.values()),
        "run: the pseudo-field is not sent as a property")
links = sorted((x["fromId"], x["to"], x["toId"], x["associationTypeId"])
               for x in records("hubspot", "associations").values())
# Batches go out concurrently, so ids say nothing of order: the body names the lead.
lead_of = {n["id"]: int(n["properties"]["hs_note_body"].rsplit(" ", 1)[1]) for n in noted.values()}
c.check(sorted(lead_of.values()) == [1, 3], "run: the notes of leads 1 and 3: %s" % lead_of)
want = sorted((nid, "contacts", contacts["lead%07d@example.com" % i], 202) for nid, i in lead_of.items())
c.check(links == want, "run: each note associated with its own contact: %s, want %s" % (links, want))
c.check(sorted((e["record"], e["code"]) for e in res.errors) == [(2, "CONFLICT")],
        "run: the error file names the refused contact: %s" % res.errors)
c.exit()
