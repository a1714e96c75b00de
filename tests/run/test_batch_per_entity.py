#!/usr/bin/env python3
"""Each entity goes in batches of its own (docs/run.md, "What the engine
does"): tests/run/maps/files/hubspot.map writes contacts, which HubSpot
takes 100 a request, and files, which its Files API takes one a request.
30 leads each with a signature: the contacts go in one batch request, the
30 uploads one a request, the 30 notes in one batch; --batch-size 7 cuts
the contacts and notes into 5 requests each and leaves the uploads as
they were. The estimate (`run --dry-run --budget`) prices the same
requests the run makes.

Usage: test_batch_per_entity.py CRMMAP REPO_ROOT WORKDIR"""
import os
import re
import subprocess
import sys

from runlib import admin, b64, fresh, ndjson, reset, run

crmmap, root, work = sys.argv[1:4]
c = fresh(work)
mapping = os.path.join(root, "tests", "run", "maps", "files", "hubspot.map")
N = 30
PDF = b"%PDF-1.4\n% a signature\n"
inp = ndjson(work, [{"email": "v%02d@example.com" % i, "lastName": "V%02d" % i,
                     "signature": "data:application/pdf;base64," + b64(PDF + bytes([i]))} for i in range(N)])
CONTACTS, UPLOADS, NOTES = ("/crm/v3/objects/contacts/batch/upsert", "/files/v3/files",
                            "/crm/v3/objects/notes/batch/create")


def estimate(*flags):
    p = subprocess.run([crmmap, "run", mapping, "--input", inp, "--dry-run", "--budget", "--force"] + list(flags),
                       capture_output=True, text=True)
    writes = {}
    for name, n in re.findall(r"^  (\w+) +\d+ +\d+ +(\d+) ", p.stdout, re.M):
        writes[name] = writes.get(name, 0) + int(n)     # an entity name the map repeats: one row each
    total = re.search(r"^  total: (\d+) calls$", p.stdout, re.M)
    c.check(p.returncode == 0 and total, "the estimate printed (exit %d): %s%s" % (p.returncode, p.stdout, p.stderr))
    return writes, int(total.group(1)) if total else -1, p.stdout


for flags, per_batch in (((), 1), (("--batch-size", "7"), 5)):
    reset()
    res = run(crmmap, mapping, inp, work, *flags)
    state = admin("/__admin/state")
    paths = state["requests_by_path"]
    got = (paths.get(CONTACTS, 0), paths.get(UPLOADS, 0), paths.get(NOTES, 0))
    c.check(res.status == 0 and res.summary == (3 * N, 3 * N, 0, 0),
            "%s: every unit went (exit %d, %s): %s" % (flags, res.status, res.summary, res.stderr[-400:]))
    c.check(got == (per_batch, N, per_batch),
            "%s: contacts and notes in %d batch request(s) each, one upload a file: %s in %s"
            % (flags, per_batch, got, paths))
    writes, total, text = estimate(*flags)
    c.check(writes == {"contacts": per_batch, "files": N, "notes": per_batch} and total == state["requests"],
            "%s: the estimate prices the requests made (%d):\n%s" % (flags, state["requests"], text))
c.exit()
