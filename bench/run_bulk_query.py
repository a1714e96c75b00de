#!/usr/bin/env python3
"""The master-crm load benchmark against tools/crmserver (started by
with_server.py): N leads with visit reports through fair-leads.map and
--bulk on, a tenth of the contacts held by the server beforehand (their
phones kept); prints the calls the run made (query job, ingest jobs) per
1,000 records, the estimate of `run --dry-run --budget`, records/s, and for
a run killed -9 while its Contact job uploads, then resumed: the calls of
both and whether every lead is held once with the values it should have.

Usage: run_bulk_query.py CRMMAP WORKDIR N [N...]"""
import os
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "run"))
import runlib  # noqa: E402
import test_bulk_query  # noqa: E402
from run_bulk import estimate as budget_estimate, start  # noqa: E402

MAPPING = os.path.join(here, "..", "examples", "salesforce", "fair-leads.map")
FLAGS = ["--bulk", "on", "--bulk-poll-ms", "200"]


def fresh_server(work, seeded):
    start(work, lambda: test_bulk_query.seed(seeded))


def made():
    st = runlib.admin("/__admin/state")
    by = st["requests_by_path"]
    query = sum(v for p, v in by.items() if "/jobs/query" in p)
    ingest = sum(v for p, v in by.items() if "/jobs/ingest" in p)
    # the server counts API requests only, not its /__admin ones (the seeding)
    return st["requests"], query, ingest


def main():
    crmmap, work, sizes = sys.argv[1], sys.argv[2], [int(a) for a in sys.argv[3:]]
    os.makedirs(work, exist_ok=True)
    mapc = os.path.join(work, "fair-leads.mapc")
    subprocess.run([crmmap, "compile", MAPPING, "-o", mapc], check=True, capture_output=True)
    for n in sizes:
        data = os.path.join(work, "leads-%d.ndjson" % n)
        if not os.path.exists(data):
            runlib.write_leads(data, n)
        seeded = set(range(7, n + 1, 10))
        estimate = budget_estimate(crmmap, mapc, data, FLAGS)
        fresh_server(work, seeded)
        t0 = time.time()
        r = runlib.run(crmmap, mapc, data, work, *FLAGS, "--quiet", timeout=7200)
        secs = time.time() - t0
        calls, query, ingest = made()
        bad, _ = test_bulk_query.kept(seeded, n)
        print("%7d leads, one run:       %6d calls = %5.2f per 1,000 records (query job %d, ingest jobs %d), "
              "estimate %d (%+.1f%%), %7.0f records/s, exit %d, %d leads wrong"
              % (n, calls, 1000.0 * calls / n, query, ingest, estimate, 100.0 * (estimate - calls) / calls,
                 n / secs, r.status, len(bad)), flush=True)
        fresh_server(work, seeded)
        runlib.killed_at(crmmap, mapc, data, work, FLAGS + ["--quiet"], "/batches", False)
        r = runlib.run(crmmap, mapc, data, work, "--resume", *FLAGS, "--quiet", timeout=7200)
        calls, query, ingest = made()
        bad, contacts = test_bulk_query.kept(seeded, n)
        dups = len(runlib.records("salesforce", "Contact")) - contacts
        print("%7d leads, killed + --resume: %6d calls = %5.2f per 1,000 records (query job %d, ingest jobs %d), "
              "exit %d, %d leads wrong, %d contacts twice" % (n, calls, 1000.0 * calls / n, query, ingest,
                                                              r.status, len(bad), dups), flush=True)


if __name__ == "__main__":
    main()
