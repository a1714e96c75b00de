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
c.exit()
