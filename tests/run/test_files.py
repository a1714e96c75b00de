#!/usr/bin/env python3
"""Files into Salesforce and Dynamics end to end (docs/files.md):
tests/run/maps/files/salesforce.map and dynamics.map against tools/crmserver,
which checks ContentVersion's and annotation's base64, its size and that
the link names a record that exists. A signature (data: URI) and both business-card sides (data: URI and
bare base64) arrive as ContentVersions linked to the Contact, byte for byte;
a card side whose base64 is broken fails alone (the lead arrives); a URL
file of a host not on the fetch allowlist fails alone with the fetcher's
line (test_fetch_run.py fetches one); the dry
run shows each file as name, type, bytes and SHA-256, never the bytes.

Usage: test_files.py CRMMAP REPO_ROOT WORKDIR"""
import base64
import hashlib
import json
import os
import subprocess
import sys

from runlib import ROOT, admin, fresh, ndjson, records, reset, run

crmmap, root, work = sys.argv[1:4]
c = fresh(work)
mapping = os.path.join(root, "tests", "run", "maps", "files", "salesforce.map")
PDF = b"%PDF-1.4\n% a signature\n" + bytes(range(256))
FRONT = b"\x89PNG\r\n\x1a\n front of the card" + bytes(range(255, -1, -1))
BACK = b"\x89PNG\r\n\x1a\n back of the card"


def b64(data):
    return base64.b64encode(data).decode()


leads = [
    {"email": "ada@example.com", "lastName": "Ada", "signature": "data:application/pdf;base64," + b64(PDF),
     "bcImage": "data:image/png;base64," + b64(FRONT), "bcImageBackside": b64(BACK)},
    {"email": "bert@example.com", "lastName": "Bert", "signature": "data:application/pdf;base64," + b64(PDF),
     "bcImage": "data:image/png;base64,iVBO!!!!"},
    {"email": "cleo@example.com", "lastName": "Cleo", "signature": "https://files.example.com/cleo.pdf"},
]
inp = ndjson(work, leads)


def sha(data):
    return hashlib.sha256(data).hexdigest()


# The dry run: the files as name, type, size and digest.
dry = subprocess.run([crmmap, "run", mapping, "--input", inp, "--dry-run"], capture_output=True, text=True)
lines = [json.loads(l) for l in dry.stdout.splitlines()]
files = [(l["record"], l["payload"].get("VersionData")) for l in lines if l["entity"] == "ContentVersion"
         and "payload" in l]
c.check(files == [
    (1, {"file": {"name": "signature.pdf", "type": "application/pdf", "bytes": len(PDF), "sha256": sha(PDF)}}),
    (1, {"file": {"name": "card-front.png", "type": "image/png", "bytes": len(FRONT), "sha256": sha(FRONT)}}),
    (1, {"file": {"name": "card-back.png", "type": "image/png", "bytes": len(BACK), "sha256": sha(BACK)}}),
    (2, {"file": {"name": "signature.pdf", "type": "application/pdf", "bytes": len(PDF), "sha256": sha(PDF)}}),
    (3, {"file": {"name": "signature.pdf", "type": None, "url": "https://files.example.com/cleo.pdf"}}),
], "dry run files: %s" % files)
c.check(b64(FRONT) not in dry.stdout and b64(PDF) not in dry.stdout, "the dry run never shows the bytes")
bad = [l for l in lines if l["record"] == 2 and "error" in l]
c.check(len(bad) == 1 and "not base64" in bad[0]["error"],
        "the broken card side is the record's only error: %s" % bad)

reset()
with open(os.path.join(ROOT, "examples", "vendor", "salesforce", "ContentVersion_describe.json"), encoding="utf-8") as f:
    admin("/__admin/metadata", {"system": "salesforce", "entity": "ContentVersion", "document": json.load(f)})
res = run(crmmap, mapping, inp, work)
c.check(res.status == 3, "exit 3 (two attachments failed), got %d: %s" % (res.status, res.stderr[-400:]))
c.check(res.summary == (9, 7, 2, 0), "summary: %s / %s" % (res.summary, res.stderr[-300:]))
contacts = {r["Email"]: r["Id"] for r in records("salesforce", "Contact").values()}
c.check(sorted(contacts) == ["ada@example.com", "bert@example.com", "cleo@example.com"],
        "every lead arrived: %s" % sorted(contacts))
got = sorted((r.get("FirstPublishLocationId"), r.get("PathOnClient"), base64.b64decode(r.get("VersionData", "")))
             for r in records("salesforce", "ContentVersion").values())
want = sorted([(contacts.get("ada@example.com"), "signature.pdf", PDF),
               (contacts.get("ada@example.com"), "card-front.png", FRONT),
               (contacts.get("ada@example.com"), "card-back.png", BACK),
               (contacts.get("bert@example.com"), "signature.pdf", PDF)])
c.check(got == want, "the files arrived byte for byte, linked: %s" % [(g[0], g[1], len(g[2])) for g in got])
errs = sorted((e.get("record"), e.get("entity"), e.get("code"), e.get("field")) for e in res.errors)
c.check(errs == [(2, "ContentVersion", "MAPPING_ERROR", None), (3, "ContentVersion", "FILE", "VersionData")],
        "error file: %s" % res.errors)
url = next((e for e in res.errors if e.get("code") == "FILE"), {})
c.check("host 'files.example.com' is not on the fetch allowlist" in url.get("error", ""),
        "the URL file's line says why: %s" % url)

# Dynamics: the same files as notes (annotation) on the contact. A note's
# documentbody is not required, so a file that cannot be had leaves the
# note without it: a partial unit.
reset()
res = run(crmmap, os.path.join(root, "tests", "run", "maps", "files", "dynamics.map"), inp, work)
c.check(res.status == 0 and res.summary == (9, 7, 0, 0) and res.partial == 2,
        "dynamics: exit %d, %s" % (res.status, res.stderr[-300:]))
contacts = {r["emailaddress1"]: r["contactid"] for r in records("dynamics", "contact").values()}
c.check(len(contacts) == 3, "dynamics: every lead arrived: %s" % sorted(contacts))
notes = records("dynamics", "annotation").values()
got = sorted((r.get("_objectid_value"), r.get("filename"), r.get("mimetype"), base64.b64decode(r["documentbody"]))
             for r in notes if "documentbody" in r)
want = sorted([(contacts.get("ada@example.com"), "signature.pdf", "application/pdf", PDF),
               (contacts.get("ada@example.com"), "card-front.png", "image/png", FRONT),
               (contacts.get("ada@example.com"), "card-back.png", "image/png", BACK),
               (contacts.get("bert@example.com"), "signature.pdf", "application/pdf", PDF)])
c.check(got == want, "dynamics: the notes arrived byte for byte, linked: %s" % [g[:3] for g in got])
bare = sorted((r.get("_objectid_value"), r.get("filename")) for r in notes if "documentbody" not in r)
c.check(bare == sorted([(contacts.get("bert@example.com"), "card-front.png"),
                        (contacts.get("cleo@example.com"), "signature.pdf")]),
        "dynamics: the two notes whose file could not be had went without it: %s" % bare)
errs = sorted((e.get("record"), e.get("entity"), e.get("state"), e.get("field")) for e in res.errors)
c.check(errs == [(2, "annotation", "partial", "documentbody"), (3, "annotation", "partial", "documentbody")],
        "dynamics: error file: %s" % errs)
c.check(any("not on the fetch allowlist" in e.get("error", "") for e in res.errors), "dynamics: the URL's line says why")
c.exit()
