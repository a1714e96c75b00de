#!/usr/bin/env python3
"""snapADDY's VisitReport export through `crmmap run` (docs/run.md, "A
VisitReport export"; issue 16): each bundled example (the four CRMs'
fair-leads.map and Salesforce's contact-or-lead.map) run on
visitreport_export.json, in snapADDY's published flat shape, against
tools/crmserver. Every visitor arrives, and each visitor's signature (the
SIGNATURE PDF among the participant's attachments) and both business-card
sides arrive attached to the record written for that visitor, byte for
byte (runlib.attached).

Usage: test_visitreport_examples.py CRMMAP REPO_ROOT WORKDIR"""
import os
import sys

import runlib
import visitreport as vr

crmmap, root, work = sys.argv[1:4]
c = runlib.fresh(work)
want_files = vr.files()
c.check(len(want_files) == 9, "the export carries 3 visitors x 3 files: %s" % [w[:2] for w in want_files])
for vendor, example, flags in vr.EXAMPLES:
    vr.prepare(root, vendor)
    res = runlib.run(crmmap, os.path.join(root, "examples", example), vr.EXPORT, work, *flags)
    c.check(res.status == 0 and res.summary is not None and res.summary[2:] == (0, 0),
            "%s: exit 0, nothing failed: %s %s %s" % (example, res.status, res.summary,
                                                      [(e.get("entity"), e.get("code")) for e in res.errors]))
    c.check(vr.arrived(vendor) == vr.visitors(), "%s: every visitor arrived: %s" % (example, vr.arrived(vendor)))
    got = runlib.attached(vendor)
    c.check(got == want_files, "%s: the signature and both card sides attached to each visitor's record: %s"
            % (example, [g[:2] for g in got]))

# --max-calls and --resume read the records the run read.
vendor, example, flags = vr.EXAMPLES[0]
mapping = os.path.join(root, "examples", example)
vr.prepare(root, vendor)
res = runlib.run(crmmap, mapping, vr.EXPORT, work, "--max-calls", "9")
c.check(res.status == 2 and "total: 10 calls" in res.stderr and runlib.attached(vendor) == [],
        "--max-calls 9: refused on the export's estimate, nothing sent: %s %s" % (res.status, res.stderr[-300:]))
first = runlib.run(crmmap, mapping, vr.EXPORT, work, "--max-calls", "10")
posts = runlib.admin("/__admin/state")["requests_by_path"]
again = runlib.run(crmmap, mapping, vr.EXPORT, work, "--resume")
c.check(first.status == 0 and again.status == 0 and again.lines and all(l.get("resumed") for l in again.lines),
        "--resume: every record of the export settled already: %s %s" % (again.status, again.lines[:2]))
c.check(runlib.admin("/__admin/state")["requests_by_path"] == posts, "--resume sent nothing again")

# Reports that cannot be converted: each a BAD_INPUT line of the error file at
# its report's line in the export, with the report's text; the others go.
vr.prepare(root, vendor)
res = runlib.run(crmmap, mapping, os.path.join(vr.HERE, "visitreport_export_bad.json"), work)
got = [(e.get("record"), e.get("line"), e.get("code"), e.get("error"), e.get("input_text", "")[:12]) for e in res.errors]
c.check(res.status == 3 and got == [(2, 35, "BAD_INPUT", "not a JSON object", '"not a repor'),
                                    (3, 36, "BAD_INPUT", 'an answer has no "questionId"', '{\n      "id"')],
        "bad reports in the error file: %s %s" % (res.status, got))
c.check(vr.arrived(vendor) == ["chiara.rossi@example.it", "petra.vogel@example.de"],
        "the other reports arrived: %s" % vr.arrived(vendor))
c.exit()
