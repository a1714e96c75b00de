#!/usr/bin/env python3
"""End to end: HubSpot `ref` through an association pseudo-field. The
schemas are imported for the test (contacts from the corpus, notes from
maps/hubspot/notes.properties.json), then `crmmap check` accepts the
notes -> contacts association and gives E0111 for a notes -> companies one
written with `ref contacts`, and `crmmap run` creates contacts and notes:
each note lands associated (type 202) with its own contact, and the note of
a contact HubSpot refused is skipped, not sent.

Then notes written by key (maps/hubspot/notes_keyed.map: `upsert by`,
`create key` — sent as an upsert — and `update by`), linked after the write
through the v4 associations API: every note lands linked to its contact;
running again links nothing twice and makes no second note; a 500 and a
connection reset after the server applied the association request are
retried without a duplicate; a contact deleted in HubSpot between the write
and the link fails that note's unit alone, with HubSpot's error, the
assoc field and its .map line in the error file (the note itself written);
kill -9 while the association request is in flight, then --resume: every
note linked, none twice.

Usage: test_hs_associations.py CRMMAP REPO_ROOT CORPUS WORKDIR"""
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import runlib
from runlib import URL, admin, api, records, reset, run

crmmap, root, corpus, work = sys.argv[1:5]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(os.path.join(work, "schemas"))
c = runlib.Checks()
here = os.path.join(root, "tests", "run", "maps", "hubspot")
shutil.copy(os.path.join(root, "examples", "schemas", "snapaddy", "lead.json"), work)  # paths are relative


def crm(*args):
    return subprocess.run([crmmap] + list(args), capture_output=True, text=True, timeout=60)


for entity, doc in (("contacts", os.path.join(corpus, "hubspot", "handwritten_crm_v3_properties_contacts.json")),
                    ("notes", os.path.join(here, "notes.properties.json"))):
    p = crm("schema", "import", "--system", "hubspot", "--entity", entity, doc, "-o", os.path.join(work, "schemas"))
    c.check(p.returncode == 0, "import %s: %s" % (entity, p.stderr))
with open(os.path.join(work, "schemas", "notes.json"), encoding="utf-8") as f:
    notes = {x["name"]: x for x in json.load(f)["fields"]}
a = notes.get("assoc_contacts_202", {})
c.check(a.get("type") == "reference" and a.get("references") == ["contacts"] and a.get("createable")
        and a.get("updateable"), "notes schema: the contacts association pseudo-field: %s" % a)
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

# ---- notes written by key, linked after the write ----
with open(os.path.join(here, "notes_keyed.map"), encoding="utf-8") as f:
    keyed_text = f.read().replace("@LEAD@", "lead.json").replace("@ASSOC@", "ref contacts")
ASSOC_LINE = next(i for i, l in enumerate(keyed_text.splitlines(), 1) if l.strip().startswith("assoc_contacts_202"))


def keyed_map(mode):
    path = os.path.join(work, "notes_%s.map" % mode.split()[0])
    with open(path, "w", encoding="utf-8") as f:
        f.write(keyed_text.replace("@MODE@", mode))
    return path


def state_links():
    """(note's visit_note_id, contact's email, type) for every notes -> contacts association."""
    notes = records("hubspot", "notes")
    cons = records("hubspot", "contacts")
    out = []
    for a in records("hubspot", "associations").values():
        if a["from"] == "notes" and a["to"] == "contacts":
            out.append((notes.get(a["fromId"], {}).get("properties", {}).get("visit_note_id", "?"),
                        cons.get(a["toId"], {}).get("properties", {}).get("email", "?"), a["associationTypeId"]))
    return sorted(out)


def want_links(*leads):
    return sorted(("vr-%d" % i, "lead%07d@example.com" % i, 202) for i in leads)


def note_keys():
    return sorted(n["properties"].get("visit_note_id") for n in records("hubspot", "notes").values())


for mode in ("upsert by visit_note_id", "create key visit_note_id"):
    reset()
    m = keyed_map(mode)
    ok = crm("check", m)
    c.check(ok.returncode == 0, "%s: check: %s" % (mode, ok.stderr))
    res = run(crmmap, m, leads, work, "--batch-size", "2")
    c.check(res.status == 0 and res.summary == (6, 6, 0, 0), "%s: exit %d summary %s: %s"
            % (mode, res.status, res.summary, res.stderr[-400:]))
    c.check(state_links() == want_links(1, 2, 3), "%s: every note linked to its contact: %s" % (mode, state_links()))
    c.check(all("assoc_contacts_202" not in n["properties"] for n in records("hubspot", "notes").values()),
            "%s: the pseudo-field is not a property" % mode)
    st = admin("/__admin/state")
    v4 = sum(n for p, n in st["requests_by_path"].items() if p.startswith("/crm/v4/associations/notes/contacts/"))
    c.check(v4 == 1, "%s: one association request for three notes in two batches, not %d" % (mode, v4))
    again = run(crmmap, m, leads, work, "--batch-size", "2")
    c.check(again.status == 0 and note_keys() == ["vr-1", "vr-2", "vr-3"] and state_links() == want_links(1, 2, 3),
            "%s: a second run makes no second note nor link: %s %s" % (mode, note_keys(), state_links()))

# update: the notes exist (seeded without links); the one that does not is NOT_FOUND, not linked.
reset()
admin("/__admin/records", {"system": "hubspot", "table": "notes", "records": [
    {"id": "9001", "properties": {"visit_note_id": "vr-1", "hs_note_body": "old"}},
    {"id": "9002", "properties": {"visit_note_id": "vr-2", "hs_note_body": "old"}}]})
res = run(crmmap, keyed_map("update by visit_note_id"), leads, work)
c.check(res.status == 3 and res.summary == (6, 5, 1, 0), "update: exit %d summary %s: %s"
        % (res.status, res.summary, res.stderr[-400:]))
c.check(state_links() == want_links(1, 2), "update: the updated notes linked: %s" % state_links())
c.check([(e["record"], e["code"]) for e in res.errors] == [(3, "OBJECT_NOT_FOUND")],
        "update: the missing note in the error file: %s" % res.errors)

# Faults on the association request: a 500, then a reset after the server applied it.
upsert = keyed_map("upsert by visit_note_id")
reset(faults=[{"kind": "500", "count": 1, "path": "/crm/v4/"},
              {"kind": "reset_after", "count": 1, "path": "/crm/v4/"}])
res = run(crmmap, upsert, leads, work, "--batch-size", "1")
st = admin("/__admin/state")
c.check(res.status == 0 and res.summary == (6, 6, 0, 0), "faults: exit %d summary %s: %s"
        % (res.status, res.summary, res.stderr[-400:]))
c.check(st["faults_fired"].get("500") == 1 and st["faults_fired"].get("reset_after") == 1,
        "faults: both fired: %s" % st["faults_fired"])
c.check(state_links() == want_links(1, 2, 3) and note_keys() == ["vr-1", "vr-2", "vr-3"]
        and st["association_writes"] == 6, "faults: linked once each, made twice (the reset one resent): %s %s %d"
        % (state_links(), note_keys(), st["association_writes"]))

# A contact deleted between the write and the link: that note's unit fails alone.
reset(faults=[{"kind": "timeout", "delay": 1.0, "count": 1, "path": "/crm/v3/objects/notes/"}])
out = []
runner = threading.Thread(target=lambda: out.append(run(crmmap, upsert, leads, work)))
runner.start()
deadline = time.time() + 30
while time.time() < deadline and not any(p.startswith("/crm/v3/objects/notes/")
                                         for p in admin("/__admin/state")["requests_by_path"]):
    time.sleep(0.02)
gone = [r["id"] for r in records("hubspot", "contacts").values()
        if r["properties"]["email"] == "lead0000002@example.com"]
admin("/__admin/delete", {"system": "hubspot", "table": "contacts", "ids": gone})
runner.join(120)
res = out[0]
c.check(res.status == 3 and res.summary == (6, 5, 1, 0), "deleted contact: exit %d summary %s: %s"
        % (res.status, res.summary, res.stderr[-400:]))
c.check(state_links() == want_links(1, 3) and note_keys() == ["vr-1", "vr-2", "vr-3"],
        "deleted contact: the other notes linked, lead 2's written: %s %s" % (state_links(), note_keys()))
e = res.errors[0] if len(res.errors) == 1 else {}
c.check(e.get("record") == 2 and e.get("entity") == "notes" and e.get("code") == "VALIDATION_ERROR"
        and e.get("field") == "assoc_contacts_202" and e.get("map_line") == ASSOC_LINE
        and "the record was written (id " in e.get("error", "") and gone[0] in e.get("error", ""),
        "deleted contact: the error file names the link: %s" % res.errors)

# kill -9 while the association request is in flight, then --resume.
reset(faults=[{"kind": "timeout", "delay": 30, "count": 1, "path": "/crm/v4/"}])
journal, errors = os.path.join(work, "journal.db"), os.path.join(work, "errors.ndjson")   # run()'s
cmd = [crmmap, "run", upsert, "--input", leads, "--url", URL, "--plain-http", "--force", "--errors", errors,
       "--journal", journal, "--token-env", "CRM_TOKEN"]
proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ, CRM_TOKEN="T"))
deadline = time.time() + 30
while time.time() < deadline and not any(p.startswith("/crm/v4/") for p in admin("/__admin/state")["requests_by_path"]):
    time.sleep(0.02)
proc.send_signal(signal.SIGKILL)
proc.wait()
c.check(note_keys() == ["vr-1", "vr-2", "vr-3"] and state_links() == [],
        "kill: killed after the notes were written, before any link: %s %s" % (note_keys(), state_links()))
admin("/__admin/faults", {"seed": 1, "faults": []})
res = run(crmmap, upsert, leads, work, "--resume")
c.check(res.status == 0 and res.summary == (6, 6, 0, 0), "resume: exit %d summary %s: %s"
        % (res.status, res.summary, res.stderr[-400:]))
c.check(note_keys() == ["vr-1", "vr-2", "vr-3"] and len(records("hubspot", "contacts")) == 3
        and state_links() == want_links(1, 2, 3), "resume: every note linked, nothing twice: %s %s"
        % (note_keys(), state_links()))
c.exit()
