#!/usr/bin/env python3
"""The HubSpot example attaches files end to end (docs/files.md, "HubSpot"):
examples/hubspot/fair-leads.map over examples/records/fair-leads.ndjson
against tools/crmserver. Each visitor's signature (the attachment whose name
says so) and both business-card sides are uploaded byte for byte into the
example's folder, each carried by a note associated with that visitor's
contact and dated by the visit report; the contacts still go in one batch
request beside the uploads, one a request. A second run as documented:
--resume sends nothing again; a fresh run of the same export uploads each
file again and gets the one already in the folder back (RETURN_EXISTING),
and creates each note a second time (a note has no key crmmap can set).

Usage: test_example_files_hubspot.py CRMMAP REPO_ROOT WORKDIR"""
import os
import sys

from runlib import admin, bundled_attachments, fresh, records, reset, run, sha256_hex as sha

crmmap, root, work = sys.argv[1:4]
c = fresh(work)
examples = os.path.join(root, "examples")
sample = os.path.join(examples, "records", "fair-leads.ndjson")
mapping = os.path.join(examples, "hubspot", "fair-leads.map")
FOLDER = "/crmmap/fair-leads"
CONTACTS, UPLOADS = "/crm/v3/objects/contacts/batch/upsert", "/files/v3/files"


def attached():
    """[(e-mail, file name, size, sha256, note date)] of every note on the
    server: its file and the contacts it is associated with."""
    contacts = {i: r["properties"]["email"] for i, r in records("hubspot", "contacts").items()}
    files = records("hubspot", "files")
    links = {}
    for a in records("hubspot", "associations").values():
        if a["from"] == "notes" and a["to"] == "contacts":
            links.setdefault(a["fromId"], []).append(contacts.get(a["toId"]))
    out = []
    for n in records("hubspot", "notes").values():
        f = files.get(n["properties"].get("hs_attachment_ids"), {})
        for email in links.get(n["id"], [None]):
            out.append((email, f.get("name"), f.get("size"), f.get("sha256"), n["properties"].get("hs_timestamp")))
    return sorted(out)


dates = {"anna.schmidt@example.de": "2026-04-21T08:15:00Z", "james.oneil@example.co.uk": "2026-04-21T12:40:00Z",
         "lena.wagner@example.at": "2026-04-22T07:05:00Z"}
want = sorted((e, name, len(data), sha(data), dates.get(e)) for e, name, data in bundled_attachments(sample))
c.check(len(want) == 8, "the bundled records carry 3 + 2 + 3 files: %s" % [w[:2] for w in want])

reset()
first = run(crmmap, mapping, sample, work)
paths = admin("/__admin/state")["requests_by_path"]
c.check(first.status == 3 and [e["record"] for e in first.errors] == [4],
        "exit 3, only record 4 rejected: %s %s" % (first.status, first.errors))
got = attached()
c.check(got == want, "each visitor's signature and card sides in a note on the contact, byte for byte:\n%s\n%s"
        % (got, want))
files = records("hubspot", "files").values()
c.check(all(f.get("folderPath") == FOLDER and f.get("access") == "PRIVATE" for f in files),
        "the files are private, in the example's folder: %s" % [(f.get("folderPath"), f.get("access")) for f in files])
c.check(paths.get(CONTACTS) == 1 and paths.get(UPLOADS) == 8,
        "the 4 contacts in one batch request, the 8 files one a request: %s" % paths)

# --resume: the journal holds every unit's outcome, nothing goes again.
state = admin("/__admin/state")
resumed = run(crmmap, mapping, sample, work, "--resume")
after = admin("/__admin/state")
c.check(resumed.status == 3 and after["requests_by_path"].get(UPLOADS) == 8
        and after["records"]["hubspot"]["notes"] == state["records"]["hubspot"]["notes"],
        "--resume uploads nothing and makes no note again (exit %d, %s)"
        % (resumed.status, after["requests_by_path"]))

# A fresh run of the same export (the journal's entries for it cleared):
# the contacts are upserted again, each file is uploaded again and HubSpot
# answers the file already in the folder (RETURN_EXISTING, EXACT_FOLDER),
# and each keyless note is created a second time, carrying that file.
kept = records("hubspot", "files")
again = run(crmmap, mapping, sample, work)
c.check(again.status == 3 and again.summary == first.summary, "the fresh run as the first: %s %s"
        % (again.summary, first.summary))
c.check(len(records("hubspot", "contacts")) == 4, "no second contact: %s" % records("hubspot", "contacts"))
c.check(records("hubspot", "files") == kept and admin("/__admin/state")["requests_by_path"].get(UPLOADS) == 16,
        "the 8 uploads sent again, no file added: %d files" % len(records("hubspot", "files")))
c.check(attached() == sorted(want + want), "a fresh run makes each note a second time, with the same file: %s"
        % attached())
c.exit()
