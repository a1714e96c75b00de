#!/usr/bin/env python3
"""The bundled examples attach files end to end (docs/files.md, issue 16):
examples/salesforce/fair-leads.map over examples/records/fair-leads.ndjson
against tools/crmserver. Each visitor's signature (the attachment whose name
says so, picked by attachment()) and both business-card sides arrive as
ContentVersions first published to that visitor's Contact, byte for byte,
and a second run of the same export attaches nothing twice: the files are
keyed by External_Id__c and their content goes only on create.

Usage: test_example_files.py CRMMAP REPO_ROOT WORKDIR"""
import base64
import os
import sys

from runlib import bundled_attachments, content_version, fresh, records, reset, run

crmmap, root, work = sys.argv[1:4]
c = fresh(work)
examples = os.path.join(root, "examples")
sample = os.path.join(examples, "records", "fair-leads.ndjson")


def attached():
    by_id = {r["Id"]: r["Email"] for r in records("salesforce", "Contact").values()}
    return sorted((by_id.get(r.get("FirstPublishLocationId")), r.get("PathOnClient"),
                   base64.b64decode(r.get("VersionData") or ""))
                  for r in records("salesforce", "ContentVersion").values())


want = bundled_attachments(sample)
c.check(len(want) == 8 and not any(b"visit report" in w[2] for w in want),
        "the bundled records carry 3 + 2 + 3 files, the signature picked from the attachments: %s"
        % [w[:2] for w in want])
reset()
content_version()
mapping = os.path.join(examples, "salesforce", "fair-leads.map")
first = run(crmmap, mapping, sample, work)
c.check(first.status == 3 and [e["record"] for e in first.errors] == [4],
        "exit 3, only record 4 rejected: %s %s" % (first.status, first.errors))
got = attached()
c.check(got == want, "the signature and both card sides attached to each visitor's Contact, byte for byte: %s"
        % [g[:2] for g in got])
versions = records("salesforce", "ContentVersion")
again = run(crmmap, mapping, sample, work)
c.check(again.status == 3 and again.summary == first.summary, "the second run as the first: %s %s"
        % (again.summary, first.summary))
c.check(records("salesforce", "ContentVersion") == versions, "a second run attaches nothing twice")
c.exit()
