#!/usr/bin/env python3
"""Files uploaded into HubSpot and Pipedrive end to end (docs/files.md):
tests/run/maps/files/hubspot.map uploads each file through HubSpot's
Files API and makes a note carrying it (hs_attachment_ids) associated with
the contact; pipedrive.map uploads each to /v1/files linked to the person.
tools/crmserver keeps each upload's size and SHA-256, which must be the
file's own: a signature (data: URI) and both card sides (data: URI, bare
base64) arrive byte for byte, linked; a broken card side fails alone (and,
in HubSpot, its note is skipped), the lead and its other files arrive.

Usage: test_uploads.py CRMMAP REPO_ROOT WORKDIR"""
import os
import sys

from runlib import admin, b64, fresh, ndjson, records, reset, run, sha256_hex as sha

crmmap, root, work = sys.argv[1:4]
c = fresh(work)
maps = os.path.join(root, "tests", "run", "maps", "files")
PDF = b"%PDF-1.4\n% a signature\n" + bytes(range(256))
FRONT = b"\x89PNG\r\n\x1a\n front of the card" + bytes(range(255, -1, -1))
# Holds what a fixed multipart boundary would be: the connector must pick another.
BACK = b"\x89PNG\r\n\x1a\n back\r\n--crmmap-part-5b0e1d7c--\r\n of the card"
# Bert's own signature: the same bytes in the same folder would be one file
# in HubSpot (the uploads return a duplicate's file, docs/files.md).
PDF2 = PDF + b"\n% bert"


leads = [
    {"email": "ada@example.com", "lastName": "Ada", "signature": "data:application/pdf;base64," + b64(PDF),
     "bcImage": "data:image/png;base64," + b64(FRONT), "bcImageBackside": b64(BACK)},
    {"email": "bert@example.com", "lastName": "Bert", "signature": "data:application/pdf;base64," + b64(PDF2),
     "bcImage": "data:image/png;base64,iVBO!!!!"},
]
inp = ndjson(work, leads)
want_files = sorted([("signature.pdf", len(PDF), sha(PDF)), ("card-front.png", len(FRONT), sha(FRONT)),
                     ("card-back.png", len(BACK), sha(BACK)), ("signature.pdf", len(PDF2), sha(PDF2))])

# HubSpot: 2 contacts, 4 files and 4 notes go; bert's broken card side
# fails, and its note (whose file is missing) is skipped.
reset()
res = run(crmmap, os.path.join(maps, "hubspot.map"), inp, work)
c.check(res.status == 3, "hubspot: exit 3 (a file failed), got %d: %s" % (res.status, res.stderr[-400:]))
c.check(res.summary == (12, 10, 1, 1), "hubspot: summary %s / %s" % (res.summary, res.stderr[-300:]))
contacts = {r["properties"]["email"]: r["id"] for r in records("hubspot", "contacts").values()}
c.check(sorted(contacts) == ["ada@example.com", "bert@example.com"], "hubspot: every lead arrived: %s" % contacts)
files = records("hubspot", "files")
got = sorted((f["name"], f["size"], f["sha256"]) for f in files.values())
c.check(got == want_files, "hubspot: the files arrived byte for byte: %s" % got)
c.check(all(f.get("access") == "PRIVATE" and f.get("folderPath") == "/crmmap/fair" for f in files.values()),
        "hubspot: private, in the folder: %s" % list(files.values()))
notes = records("hubspot", "notes")
links = {(a["fromId"], a["toId"]) for a in records("hubspot", "associations").values()
         if a["from"] == "notes" and a["to"] == "contacts"}
got = sorted((files[n["properties"]["hs_attachment_ids"]]["name"],
              [e for e, i in contacts.items() if (n["id"], i) in links]) for n in notes.values())
c.check(got == sorted([("signature.pdf", ["ada@example.com"]), ("card-front.png", ["ada@example.com"]),
                       ("card-back.png", ["ada@example.com"]), ("signature.pdf", ["bert@example.com"])]),
        "hubspot: each note carries its file and is associated with its contact: %s" % got)
errs = sorted((e.get("record"), e.get("entity"), e.get("state")) for e in res.errors)
c.check([e[:2] for e in errs] == [(2, "files")], "hubspot: error file: %s" % res.errors)

# A run whose notes could not go (HubSpot unavailable for notes past the
# retries): the uploads are journaled, so --resume uploads nothing again
# (the notes, failed for good in the journal, are not resent either).
reset()
admin("/__admin/faults", {"seed": 1, "faults": [{"kind": "503", "count": 1000, "path": "/objects/notes",
                                                  "retry_after": "0.01"}]})
res = run(crmmap, os.path.join(maps, "hubspot.map"), inp, work)
uploads = admin("/__admin/state")["requests_by_path"].get("/files/v3/files", 0)
c.check(res.status != 0 and not records("hubspot", "notes") and uploads == 4,
        "resume: the first run uploaded the 4 files, no note went (exit %d, %d uploads)" % (res.status, uploads))
admin("/__admin/faults", {"seed": 1, "faults": []})
res = run(crmmap, os.path.join(maps, "hubspot.map"), inp, work, "--resume")
uploads = admin("/__admin/state")["requests_by_path"].get("/files/v3/files", 0)
c.check(uploads == 4 and len(records("hubspot", "files")) == 4,
        "resume: no file uploaded again (%d upload requests in all)" % uploads)

# Pipedrive: 2 persons and 4 files go, each linked to its person.
reset()
res = run(crmmap, os.path.join(maps, "pipedrive.map"), inp, work)
c.check(res.status == 3, "pipedrive: exit 3 (a file failed), got %d: %s" % (res.status, res.stderr[-400:]))
c.check(res.summary == (7, 6, 1, 0), "pipedrive: summary %s" % (res.summary,))
persons = {r["name"]: str(r["id"]) for r in records("pipedrive", "persons").values()}
c.check(sorted(persons) == ["Ada", "Bert"], "pipedrive: every lead arrived: %s" % persons)
got = sorted((f["name"], f["size"], f["sha256"]) for f in records("pipedrive", "files").values())
c.check(got == want_files, "pipedrive: the files arrived byte for byte: %s" % got)
got = sorted((f["name"], [n for n, i in persons.items() if i == str(f.get("person_id"))])
             for f in records("pipedrive", "files").values())
c.check(got == sorted([("signature.pdf", ["Ada"]), ("card-front.png", ["Ada"]), ("card-back.png", ["Ada"]),
                       ("signature.pdf", ["Bert"])]), "pipedrive: each file is linked to its person: %s" % got)
c.check([(e.get("record"), e.get("entity")) for e in res.errors] == [(2, "files")],
        "pipedrive: error file: %s" % res.errors)
c.exit()
