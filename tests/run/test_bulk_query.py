#!/usr/bin/env python3
"""`master crm` and `on create` reads through a Bulk API 2.0 query job
(docs/run.md, "Bulk"): with --bulk, fair-leads.map's Contacts are read by one
query job a window, not by SOQL queries of 100 keys; contacts the CRM holds
(their e-mail in another case) keep the phone the CRM owns and get no
`on create` value, new ones get both. Result pages follow Sforce-Locator;
a group whose keys do not fit in a SOQL statement reads the whole object;
a query job that fails stops the run, nothing written, and --resume makes
a new one; polls answered 503 are retried; kill -9 while the query job runs and while the ingest uploads,
then --resume: every lead once, the query job not made again; `run
--dry-run --budget` within 10% of the calls made.
Usage: test_bulk_query.py CRMMAP REPO_ROOT WORKDIR N BIG"""
import math
import os
import random
import re
import subprocess
import sys

import runlib
import systems
from runlib import admin, reset, run

BULK = ["--bulk", "on", "--bulk-poll-ms", "10"]
TOTAL = re.compile(r"^  total: (\d+) calls$", re.M)


def seed(keys):
    """Contacts the CRM holds for these leads, their e-mail upper case."""
    recs = [{"Email": ("lead%07d@example.com" % i).upper(), "LastName": "Seeded", "Phone": "+49 30 %d" % i}
            for i in keys]
    admin("/__admin/records", {"system": "salesforce", "table": "Contact", "records": recs})


def calls(suffix):
    st = admin("/__admin/state")
    return sum(v for p, v in st["requests_by_path"].items() if p.endswith(suffix))


def kept(seeded, n):
    """The seeded contacts' phones kept, without LeadSource; the others'
    phones and LeadSource set; (bad ones, total contacts)."""
    contacts = {r["Email"].lower(): r for r in runlib.records("salesforce", "Contact").values()}
    bad = []
    for i in range(1, n + 1):
        r = contacts.get("lead%07d@example.com" % i)
        if i % 97 == 0:
            continue
        if i in seeded:
            good = r and r.get("Phone") == "+49 30 %d" % i and not r.get("LeadSource") and r.get("FirstName")
        else:
            good = r and r.get("Phone") and r["Phone"] != "+49 30 %d" % i and r.get("LeadSource") == "Other"
        if not good:
            bad.append((i, r))
    return bad, len(contacts)


def main():
    crmmap, root, work, n, big = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    c = runlib.Checks()
    s, inp, mapc, want_summary = systems.load_setup("salesforce", crmmap, root, work, n)
    seeded = set(range(3, n + 1, 11))

    def fresh(name):
        d = os.path.join(work, name)
        os.makedirs(d)
        return d

    reset()
    seed(seeded)
    r = run(crmmap, mapc, inp, fresh("query"), *BULK)
    bad, total = kept(seeded, n)
    c.check(r.summary == want_summary and not bad, "bulk run: %s, wrong: %s" % (r.summary, bad[:2]))
    jobs = admin("/__admin/state")["query_jobs"]
    c.check(calls("/jobs/query") == 1 and calls("/v59.0/query") == 0,
            "one query job, no SOQL query: %d jobs, %d queries" % (calls("/jobs/query"), calls("/v59.0/query")))
    c.check(all(" IN (" in j["soql"] and j["object"] == "Contact" for j in jobs.values()),
            "the keys in the query: %s" % [j["soql"][:80] for j in jobs.values()])
    want = s.snapshot()

    # pages of 7 rows: the seeded contacts are the rows, each page asked for
    # by the locator of the one before
    reset()
    admin("/__admin/faults", {"faults": [], "query_page_max": 7})
    seed(seeded)
    r = run(crmmap, mapc, inp, fresh("pages"), *BULK)
    bad, _ = kept(seeded, n)
    pages = calls("/results")
    c.check(r.summary == want_summary and not bad and pages == math.ceil(len(seeded) / 7),
            "paged results: %s, %d pages for %d rows, wrong: %s" % (r.summary, pages, len(seeded), bad[:2]))

    # a query job that fails: the run stops before writing; polls answered 503
    reset([{"kind": "job_failed", "path": "/jobs/query/"}])
    seed(seeded)
    d = fresh("failed")
    r = run(crmmap, mapc, inp, d, *BULK)
    c.check(r.status == 4 and "query" in r.stderr and calls("/jobs/ingest") == 0,
            "a failed query job stops the run: exit %d %s" % (r.status, r.stderr[-300:]))
    admin("/__admin/faults", {"faults": []})
    r = run(crmmap, mapc, inp, d, "--resume", *BULK)
    bad, _ = kept(seeded, n)
    c.check(r.summary == want_summary and not bad and calls("/jobs/query") == 2,
            "--resume after it makes a new query job: %s, %d jobs, wrong: %s"
            % (r.summary, calls("/jobs/query"), bad[:2]))
    reset([{"kind": "503", "path": "/jobs/query/", "count": 3}])
    seed(seeded)
    r = run(crmmap, mapc, inp, fresh("503"), *BULK)
    bad, _ = kept(seeded, n)
    fired = admin("/__admin/state")["faults_fired"]
    c.check(r.summary == want_summary and not bad and fired.get("503") == 3,
            "polls answered 503: %s %s, wrong: %s" % (r.summary, fired, bad[:2]))

    # kill -9 while the query job runs, then while the ingest uploads, then
    # --resume: every lead once, the journaled query job polled on and its
    # results read again, not made again
    reset()
    seed(seeded)
    d = fresh("killed")
    final = runlib.killed_and_resumed(crmmap, mapc, inp, d, BULK, ("/jobs/query/", "/batches"), random.Random(1))
    snap = s.snapshot()
    bad, _ = kept(seeded, n)
    c.check(final.summary == want_summary and not bad, "resumed after kills: %s %s wrong: %s"
            % (final.summary, final.stderr[-300:], bad[:2]))
    c.check(snap.dups == 0 and snap.parents == want.parents and snap.children == want.children,
            "after kill -9 and --resume: what one run leaves, no key twice (%d)" % snap.dups)
    c.check(calls("/jobs/query") == 1, "the query job made once: %d" % calls("/jobs/query"))

    # more keys than a SOQL statement holds: the whole object, one job; the
    # estimate within 10% of the calls made
    big_in = os.path.join(work, "big.ndjson")
    runlib.write_leads(big_in, big)
    bseeded = set(range(5, big + 1, 13))
    p = subprocess.run([crmmap, "run", mapc, "--input", big_in, "--dry-run", "--budget", "--force"] + BULK,
                       capture_output=True, text=True)
    m = TOTAL.search(p.stdout)
    reset()
    seed(bseeded)
    r = run(crmmap, mapc, big_in, fresh("big"), *BULK)
    bad, _ = kept(bseeded, big)
    jobs = list(admin("/__admin/state")["query_jobs"].values())
    made = admin("/__admin/state")["requests"]
    c.check(r.status == 3 and not bad and len(jobs) == 1 and " WHERE " not in jobs[0]["soql"],
            "%d leads: the whole object read by one job (%s), exit %d, wrong: %s"
            % (big, [j["soql"][:60] for j in jobs], r.status, bad[:2]))
    c.check(m and abs(int(m.group(1)) - made) <= made * 0.1,
            "the estimate %s within 10%% of %d calls made" % (m and m.group(1), made))
    c.exit()


if __name__ == "__main__":
    main()
