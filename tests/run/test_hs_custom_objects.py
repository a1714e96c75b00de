#!/usr/bin/env python3
"""End to end: HubSpot custom objects against crmserver (docs/schema.md,
docs/connectors.md). `schema pull` of a custom object reads the list of
schemas (`/crm/v3/schemas`) and gives byte for byte what importing the
corpus's answer gives for that object. The HubSpot example
(visit reports upserted by key, linked after the write) and a keyless create
(linked inline) land every visit report on the server associated with its
own contact through the USER_DEFINED type 41; a second run adds no record
and no association. The server takes the object by its objectTypeId, its
fullyQualifiedName or p_NAME, refuses the bare name, refuses an association
type not defined for the pair (or in the wrong category) and a create
without a required property.

Usage: test_hs_custom_objects.py CRMMAP REPO_ROOT CORPUS WORKDIR"""
import json
import os
import shutil
import subprocess
import sys
import urllib.error

from runlib import URL, admin, api, fresh, records, reset, run

crmmap, root, corpus, work = sys.argv[1:5]
c = fresh(work)
example = os.path.join(root, "examples", "hubspot", "fair-leads.map")
leads = os.path.join(root, "examples", "records", "fair-leads.ndjson")


def crm(*args):
    return subprocess.run([crmmap] + list(args), capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, CRM_TOKEN="T"))


def status_of(method, path, body):
    try:
        api(method, path, body)
        return 200
    except urllib.error.HTTPError as e:
        return e.code


# ---- schema pull of a custom object: its schema, associations included ----
reset()
pulled = os.path.join(work, "pulled")
p = crm("schema", "pull", "--system", "hubspot", "--url", URL, "--plain-http", "--token-env", "CRM_TOKEN",
        "--entity", "p_visit_reports", "--no-users", "-o", pulled)
c.check(p.returncode == 0 and p.stderr == "", "pull: exit %d: %s" % (p.returncode, p.stderr))
c.check(sorted(os.listdir(pulled)) == ["p_visit_reports.json"], "pull: the object asked for: %s" % os.listdir(pulled))
with open(os.path.join(pulled, "p_visit_reports.json"), encoding="utf-8") as f:
    got = f.read()
with open(os.path.join(root, "examples", "schemas", "hubspot", "p_visit_reports.json"), encoding="utf-8") as f:
    c.check(got == f.read(), "pull: byte for byte the example's schema, its fair booths association included")

# ---- the example: visit reports upserted by key, linked after the write ----
reset()
res = run(crmmap, example, leads, work)
c.check(res.status == 3, "example: exit %d (record 4 is rejected): %s" % (res.status, res.stderr[-600:]))
contacts = {r["id"]: r["properties"]["email"] for r in records("hubspot", "contacts").values()}
reports = records("hubspot", "p_visit_reports")
c.check(sorted(r["properties"]["visit_report_id"] for r in reports.values()) == ["vr-1001", "vr-1002", "vr-1003"],
        "example: three visit reports: %s" % reports)
c.check(all("assoc_contacts_41" not in r["properties"] for r in reports.values()),
        "example: the pseudo-field is not a property")
by_vr = {r["id"]: r["properties"]["visit_report_id"] for r in reports.values()}
links = sorted((by_vr.get(a["fromId"]), contacts.get(a["toId"]), a["associationTypeId"])
               for a in records("hubspot", "associations").values() if a["from"] == "p_visit_reports")
want_links = [("vr-1001", "anna.schmidt@example.de", 41), ("vr-1002", "james.oneil@example.co.uk", 41),
              ("vr-1003", "lena.wagner@example.at", 41)]
c.check(links == want_links, "example: each visit report linked to its contact: %s" % links)
paths = admin("/__admin/state")["requests_by_path"]
c.check(any(x.startswith("/crm/v3/objects/p_visit_reports/batch/upsert") for x in paths)
        and any(x.startswith("/crm/v4/associations/p_visit_reports/contacts/batch/create") for x in paths),
        "example: addressed by the short-hand p_visit_reports: %s" % sorted(paths))
again = run(crmmap, example, leads, work)
c.check(again.status == 3 and len(records("hubspot", "p_visit_reports")) == 3
        and len([a for a in records("hubspot", "associations").values() if a["from"] == "p_visit_reports"]) == 3,
        "example: a second run adds no visit report and no association")

# ---- a keyless create: the association inline, USER_DEFINED ----
reset()
maps = os.path.join(work, "create")
shutil.copytree(os.path.join(root, "examples", "schemas", "hubspot"), os.path.join(maps, "schemas"))
shutil.copy(os.path.join(root, "examples", "schemas", "snapaddy", "lead.json"), maps)
mapping = os.path.join(maps, "visit_reports_create.map")
shutil.copy(os.path.join(root, "tests", "run", "maps", "hubspot", "visit_reports_create.map"), mapping)
ok = crm("check", mapping)
c.check(ok.returncode == 0, "create: check: %s" % ok.stderr)
res = run(crmmap, mapping, leads, work)
c.check(res.status == 3 and res.summary == (8, 7, 1, 0), "create: exit %d summary %s: %s"
        % (res.status, res.summary, res.stderr[-600:]))
contacts = {r["id"]: r["properties"]["email"] for r in records("hubspot", "contacts").values()}
reports = records("hubspot", "p_visit_reports")
by_vr = {r["id"]: r["properties"]["visit_report_id"] for r in reports.values()}
links = sorted((by_vr.get(a["fromId"]), contacts.get(a["toId"]), a["associationTypeId"])
               for a in records("hubspot", "associations").values() if a["from"] == "p_visit_reports")
c.check(links == want_links, "create: each visit report linked on create: %s" % links)
c.check(not any(x.startswith("/crm/v4/") for x in admin("/__admin/state")["requests_by_path"]),
        "create: no link step, the associations went with the create")

# ---- the server, as HubSpot answers ----
reset()
vr = {"properties": {"visit_report_id": "vr-x", "visit_title": "T"}, "associations": []}
for name in ("2-3508292", "p4711_visit_reports", "p_visit_reports"):
    c.check(status_of("POST", "/crm/v3/objects/%s/batch/create" % name, {"inputs": [vr]}) == 200,
            "server: %s names the custom object" % name)
c.check(status_of("POST", "/crm/v3/objects/visit_reports/batch/create", {"inputs": [vr]}) == 404,
        "server: the bare name is unknown")
out = api("POST", "/crm/v3/objects/p_visit_reports/batch/create",
          {"inputs": [{"properties": {"visit_report_id": "vr-y"}, "associations": []}]})
c.check(out.get("errors") and "visit_title" in out["errors"][0]["message"],
        "server: a create without a required property is refused: %s" % out)
cid = api("POST", "/crm/v3/objects/contacts/batch/create",
          {"inputs": [{"properties": {"email": "x@example.com"}, "associations": []}]})["results"][0]["id"]
vid = next(iter(records("hubspot", "p_visit_reports")))
labels = api("GET", "/crm/v4/associations/p_visit_reports/contacts/labels", None)
c.check(labels["results"] == [{"category": "USER_DEFINED", "typeId": 41, "label": None}],
        "server: the association types of the pair: %s" % labels)
for cat, tid in (("USER_DEFINED", 43), ("HUBSPOT_DEFINED", 41), ("USER_DEFINED", 42)):
    out = api("POST", "/crm/v4/associations/p_visit_reports/contacts/batch/create", {"inputs": [
        {"from": {"id": vid}, "to": {"id": cid}, "types": [{"associationCategory": cat, "associationTypeId": tid}]}]})
    c.check(out.get("numErrors") == 1 and not out["results"], "server: %s %d refused: %s" % (cat, tid, out))
c.check(not records("hubspot", "associations"), "server: nothing linked by a refused type")
c.exit()
