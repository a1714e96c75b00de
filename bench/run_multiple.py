#!/usr/bin/env python3
"""The Dataverse load benchmark against tools/crmserver (CRMSERVER_URL,
started by with_server.py): N leads with visit reports into the server's
Dynamics, once with every table refusing the bulk operation messages (the
server's dyn_no_multiple: crmmap sends $batch of single requests) and once
with CreateMultiple/UpsertMultiple, each from an empty server; prints
records/s and API calls per 1,000 records for both. The records are
tests/run/runlib.py's leads, all good, and then with every 97th refused for
its e-mail address (so that every set of 1,000 holds ten refused records).

Usage: run_multiple.py CRMMAP WORKDIR MAPPING N [N...]"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "run"))
import runlib  # noqa: E402

TABLES = ["contact", "account", "lead", "new_visitreport"]


def one(crmmap, mapc, data, work, multiple):
    runlib.reset()
    runlib.admin("/__admin/faults", {"faults": [], "dyn_no_multiple": [] if multiple else TABLES})
    for f in ("journal.db", "errors.ndjson"):
        if os.path.exists(os.path.join(work, f)):
            os.remove(os.path.join(work, f))
    t0 = time.time()
    r = runlib.run(crmmap, mapc, data, work, "--quiet", timeout=3600)
    secs = time.time() - t0
    state = runlib.admin("/__admin/state")
    by = state["requests_by_path"]
    sets = sum(v for p, v in by.items() if p.endswith("Multiple"))
    batches = sum(v for p, v in by.items() if p.endswith("/$batch"))
    return secs, state["requests"], sets, batches, r.status


def main():
    crmmap, work, mapc, sizes = runlib.bench_args(sys.argv, "multiple.mapc")
    for n in sizes:
        for bad_every, kind in ((0, "good"), (97, "1% bad")):
            data = os.path.join(work, "leads-%d-%d.ndjson" % (n, bad_every))
            if not os.path.exists(data):
                runlib.write_leads(data, n, bad_every)
            for multiple, label in ((False, "$batch of single requests"), (True, "CreateMultiple/UpsertMultiple")):
                secs, calls, sets, batches, status = one(crmmap, mapc, data, work, multiple)
                print("%7d leads (%s), %-30s %7.0f records/s  %6d calls = %5.2f per 1,000 records  (%d sets, "
                      "%d $batch, %.1f s, exit %d)" % (n, kind, label, n / secs, calls, 1000.0 * calls / n, sets,
                                                       batches, secs, status), flush=True)


if __name__ == "__main__":
    main()
