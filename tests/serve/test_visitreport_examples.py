#!/usr/bin/env python3
"""snapADDY's VisitReport export POSTed to `crmmap serve` (docs/serve.md,
"What snapADDY sends"; issue 16): the export tests/run/test_visitreport_examples.py
gives `crmmap run` (tests/run/visitreport_export.json, snapADDY's published
flat shape), sent to /visitreports of a serve of each bundled example (the
four CRMs' fair-leads.map and Salesforce's contact-or-lead.map), against
tools/crmserver. Every report is accepted, every visitor arrives, and each
visitor's signature and both business-card sides arrive attached to the
record written for that visitor (runlib.attached).

Usage: test_visitreport_examples.py CRMMAP REPO_ROOT WORKDIR"""
import os

from servelib import Serve, setup
import runlib
import visitreport as vr

crmmap, root, work, c = setup()
want_files = vr.files()
for n, (vendor, example, _) in enumerate(vr.EXAMPLES):
    vr.prepare(root, vendor)
    s = Serve(crmmap, os.path.join(root, "examples", example), os.path.join(work, "state%d" % n),
              "--batch-window-ms", "50")
    st, body = s.post("/visitreports", vr.export())
    c.check(st == 202 and body.get("accepted") == len(vr.visitors()), "%s: every report accepted: %s %s"
            % (example, st, body))
    status = s.wait_sent()
    c.check(status["queue"]["pending"] == 0 and status["units"]["failed"] == 0,
            "%s: everything sent, nothing failed: %s" % (example, status))
    c.check(vr.arrived(vendor) == vr.visitors(), "%s: every visitor arrived: %s" % (example, vr.arrived(vendor)))
    got = runlib.attached(vendor)
    c.check(got == want_files, "%s: the signature and both card sides attached to each visitor's record: %s"
            % (example, [g[:2] for g in got]))
    c.check(s.stop() == 0, "%s: SIGTERM: exit 0" % example)
c.exit()
