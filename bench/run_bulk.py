#!/usr/bin/env python3
"""The load benchmark against tools/crmserver (CRMSERVER_URL, started by
with_server.py): N leads with visit reports into the server's Salesforce,
through sObject Collections (--bulk off) and through Bulk API 2.0 jobs
(--bulk on), each from an empty server; prints records/s and API calls per
1,000 records for both. The records are tests/run/runlib.py's leads (every
97th refused for its e-mail address), so that they fit the describes the
server checks against.

Usage: run_bulk.py CRMMAP WORKDIR MAPPING N [N...]"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "run"))
import runlib  # noqa: E402


def one(crmmap, mapc, data, work, mode, flags=()):
    runlib.reset()
    for f in ("journal.db", "errors.ndjson"):
        if os.path.exists(os.path.join(work, f)):
            os.remove(os.path.join(work, f))
    t0 = time.time()
    r = runlib.run(crmmap, mapc, data, work, "--bulk", mode, "--quiet", *flags, timeout=3600)
    secs = time.time() - t0
    state = runlib.admin("/__admin/state")
    # a Salesforce job, a HubSpot import
    jobs = sum(v for p, v in state["requests_by_path"].items() if p.endswith(("/jobs/ingest", "/crm/v3/imports")))
    return secs, state["requests"], jobs, r.status


def measure(crmmap, mapping, work, sizes, labels, flags=()):
    """Compiles mapping into work and prints, for each size, a line per
    path: labels (REST, bulk) for --bulk off and on."""
    os.makedirs(work, exist_ok=True)
    mapc = os.path.join(work, "bulk.mapc")
    subprocess.run([crmmap, "compile", mapping, "-o", mapc], check=True, capture_output=True)
    print("mapping %s" % mapping)
    for n in sizes:
        data = os.path.join(work, "leads-%d.ndjson" % n)
        if not os.path.exists(data):
            runlib.write_leads(data, n)
        for mode, label in zip(("off", "on"), labels):
            secs, calls, jobs, status = one(crmmap, mapc, data, work, mode, flags)
            print("%7d leads, %-27s %7.0f records/s  %6d calls = %5.2f per 1,000 records  (%d jobs, %.1f s, "
                  "exit %d)" % (n, label, n / secs, calls, 1000.0 * calls / n, jobs, secs, status), flush=True)


def main():
    crmmap, work, mapping, sizes = sys.argv[1], sys.argv[2], sys.argv[3], [int(a) for a in sys.argv[4:]]
    measure(crmmap, mapping, work, sizes, ("REST (sObject Collections)", "Bulk API 2.0"))


if __name__ == "__main__":
    main()
