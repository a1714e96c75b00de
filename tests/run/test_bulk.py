#!/usr/bin/env python3
"""`crmmap run --bulk` against the local server's Salesforce Bulk API 2.0
(docs/run.md, "Bulk"): the server ends holding exactly what the REST path
leaves (fields compared, ids replaced by keys), with the same summary and
error file; `auto` takes bulk from the threshold on; a second run over
records that exist (create-only fields refused, sent again without); a
keyless create as an insert job; a job
that fails half-way and polls answered 503; kill -9 while the upload or the
result files are under way and at random moments, then --resume: no key
twice, nothing lost, each record processed by one job (the job killed during
its upload aborted).

Usage: test_bulk.py CRMMAP REPO_ROOT WORKDIR N"""
import os
import sys

import runlib
import systems
from runlib import reset, run

BULK = ["--bulk", "on", "--bulk-poll-ms", "10"]


def jobs_made():
    st = runlib.admin("/__admin/state")
    return sum(v for p, v in st["requests_by_path"].items() if p.endswith("/jobs/ingest")), st


def main():
    crmmap, root, work, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    c = runlib.Checks()
    s, inp, mapc, want_summary = systems.load_setup("salesforce", crmmap, root, work, n)

    def fresh(name):
        d = os.path.join(work, name)
        os.makedirs(d)
        return d

    reset()
    ref = run(crmmap, mapc, inp, fresh("rest"), "--bulk", "off")
    want = s.snapshot()
    c.check(ref.summary == want_summary and jobs_made()[0] == 0, "REST run: %s" % (ref.summary,))

    reset()
    d = fresh("bulk")
    got = run(crmmap, mapc, inp, d, *BULK)
    jobs, st = jobs_made()
    snap = s.snapshot()
    c.check(got.status == 3 and got.summary == want_summary, "bulk run: exit %d %s" % (got.status, got.summary))
    c.check(jobs == 2, "one job per entity: %d" % jobs)
    writes = sum(v for p, v in st["requests_by_path"].items() if "/composite/sobjects" in p)
    c.check(writes == 0, "no sObject Collections writes: %d" % writes)
    header = {j["object"]: j["header"].split(",") for j in st["bulk_jobs"].values()}
    c.check("Contact__r.Email" in header[s.child] and "Contact__c" not in header[s.child],
            "a child names its parent by the parent's external id: %s" % header[s.child])
    c.check(snap.parents == want.parents and snap.children == want.children and snap.dups == 0,
            "bulk leaves what REST leaves")
    key = lambda e: (e["record"], e["entity"], e["code"], e.get("field"), e.get("map_line"))
    c.check(sorted(map(key, got.errors)) == sorted(map(key, ref.errors)),
            "the same error lines (code, field, map_line): %s" % [key(e) for e in got.errors[:2]])

    again = run(crmmap, mapc, inp, d, *BULK)
    c.check(again.summary == want_summary and s.snapshot().parents == want.parents
            and s.snapshot().children == want.children, "a second run over existing records: %s" % (again.summary,))

    for label, flags, expect in (("auto over the threshold", ["--bulk-threshold", str(n // 2)], 2),
                                 ("auto under the threshold", [], 0)):
        reset()
        r = run(crmmap, mapc, inp, fresh(label.replace(" ", "_")), "--bulk-poll-ms", "10", *flags)
        c.check(r.summary == want_summary and jobs_made()[0] == expect, "%s: %s, %d jobs"
                % (label, r.summary, jobs_made()[0]))

    # a keyless create: an insert job, its rows matched by the whole row; one
    # report refused by the CRM (a fair name longer than Fair__c takes: the
    # runtime leaves lengths to the CRM) fails with its field
    keyless_in = os.path.join(work, "keyless.ndjson")
    with open(inp, encoding="utf-8") as f, open(keyless_in, "w", encoding="utf-8") as out:
        for i, line in enumerate(f):
            out.write(line.replace('"title": "Fair 5"', '"title": "%s"' % ("Fair 5 " * 40)) if i == 4 else line)
    keyless = os.path.join(root, "tests", "run", "maps", "salesforce", "keyless.map")
    got = {}
    for mode in ("off", "on"):
        reset()
        r = run(crmmap, keyless, keyless_in, fresh("keyless_" + mode), "--bulk", mode, "--bulk-poll-ms", "10")
        got[mode] = (r.summary, sorted(map(key, r.errors)), len(runlib.records("salesforce", "Visit_Report__c")))
    c.check(got["on"] == got["off"] and (5, "Visit_Report__c", "STRING_TOO_LONG",
                                         "Fair__c", 55) in got["on"][1],
            "a keyless create through an insert job: %s vs %s" % (got["on"], got["off"]))

    # a parent created without a key has no external id: its children's job
    # links them by the Ids its job answered
    reset()
    r = run(crmmap, os.path.join(root, "tests", "run", "maps", "salesforce", "keyless_parent.map"), inp,
            fresh("keyless_parent"), *BULK)
    header = {j["object"]: j["header"].split(",") for j in runlib.admin("/__admin/state")["bulk_jobs"].values()}
    contacts = runlib.records("salesforce", "Contact")
    reports = runlib.records("salesforce", "Visit_Report__c").values()
    c.check(r.summary == want_summary and "Contact__c" in header[s.child] and len(reports) == n - want_summary[2]
            and all(contacts[v["Contact__c"]]["Email"] for v in reports),
            "a keyless parent's children linked by its Ids: %s %s" % (r.summary, header.get(s.child)))

    systems.check_under_faults(
        c, s, (("a job that fails half-way", [{"kind": "job_failed", "path": "/jobs/ingest/7"}]),
               ("polls answered 503", [{"kind": "503", "path": "/jobs/ingest/7", "skip": 2, "count": 3}])),
        lambda label: run(crmmap, mapc, inp, fresh(label.replace(" ", "_")), *BULK), want, want_summary)

    runlib.kill_and_resume(c, s, crmmap, mapc, inp, os.path.join(work, "killed"), BULK,
                           ("/batches", "/successfulResults", "/failedResults"), want, want_summary, "REST")
    jobs = runlib.admin("/__admin/state")["bulk_jobs"].values()
    rows = {o: sum(j["numberRecordsProcessed"] for j in jobs if j["object"] == o) for o in (s.parent, s.child)}
    c.check(rows == {s.parent: n, s.child: n - want_summary[2]}, "each record processed by one job: %s" % rows)
    c.check(any(j["state"] == "Aborted" for j in jobs), "the job killed during its upload was aborted: %s"
            % sorted(j["state"] for j in jobs))
    c.exit()


if __name__ == "__main__":
    main()
