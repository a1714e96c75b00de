#!/usr/bin/env python3
"""Fallback entities end to end (docs/run.md, "Fallback entities"): the
Salesforce example contact-or-lead.map over leads of which every fifth and
sixth of ten is a Contact the CRM holds. Each record ends exactly once as a
Contact update or a Lead, its visit report linked to whichever was written;
the summary counts the pair as one unit; a second run leaves every record as
it was; kill -9 at random moments and --resume leave the server as an
uninterrupted run does.

Usage: test_fallback.py CRMMAP REPO_ROOT WORKDIR N KILLS SEED"""
import json
import os
import random
import shutil
import subprocess
import sys

import runlib
from runlib import api, records, reset, run


def existing(i):
    return i % 10 in (5, 6)


def seed_contacts(n):
    recs = [{"attributes": {"type": "Contact"}, "Email": "lead%07d@example.com" % i, "LastName": "Known%d" % i}
            for i in range(1, n + 1) if existing(i)]
    for at in range(0, len(recs), 200):
        api("PATCH", "/services/data/v59.0/composite/sobjects/Contact/Email",
            {"allOrNone": False, "records": recs[at:at + 200]})


def snapshot():
    """Contacts and Leads by e-mail, reports by key with their links as e-mails."""
    contacts, leads = records("salesforce", "Contact"), records("salesforce", "Lead")
    email = {rid: r["Email"] for t in (contacts, leads) for rid, r in t.items()}
    strip = lambda r: json.dumps({k: v for k, v in r.items() if k != "Id"}, sort_keys=True)
    reports = {}
    for r in records("salesforce", "Visit_Report__c").values():
        fields = {k: v for k, v in r.items() if k != "Id"}
        for link in ("Contact__c", "Lead__c"):
            if link in fields:
                fields[link] = email.get(fields[link], "?")
        reports[r["External_Id__c"]] = json.dumps(fields, sort_keys=True)
    return ({r["Email"]: strip(r) for r in contacts.values()}, {r["Email"]: strip(r) for r in leads.values()},
            reports, len(contacts) + len(leads) + len(reports))


def main():
    crmmap, root, work, n, kills, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), \
        int(sys.argv[5]), int(sys.argv[6])
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    c = runlib.Checks()
    inp = os.path.join(work, "leads.ndjson")
    runlib.write_leads(inp, n, bad_every=0)
    mapc = os.path.join(work, "mapping.mapc")
    subprocess.run([crmmap, "compile", os.path.join(root, "examples", "salesforce", "contact-or-lead.map"), "-o",
                    mapc], check=True, capture_output=True)
    flags = ["--batch-size", "25", "--in-flight", "2"]
    known = {i for i in range(1, n + 1) if existing(i)}

    reset()
    seed_contacts(n)
    # The clean runs keep their own journal: the killed runs start from none.
    refdir = os.path.join(work, "reference")
    os.makedirs(refdir)
    ref = run(crmmap, mapc, inp, refdir, *flags)
    c.check(ref.status == 0, "first run: exit %d: %s" % (ref.status, ref.stderr[-300:]))
    c.check(ref.summary == (2 * n, 2 * n, 0, 0), "first run: one unit per lead and report: %s" % (ref.summary,))
    branch = {l["record"]: l["entity"] for l in ref.lines if l["entity"] != "Visit_Report__c"}
    c.check(all(branch.get(i) == ("Contact" if i in known else "Lead") for i in range(1, n + 1)),
            "each record went as a Contact update or a Lead, once")
    c.check(len(ref.lines) == 2 * n, "one stdout line per unit: %d" % len(ref.lines))
    contacts, leads, reports, total = snapshot()
    c.check(len(contacts) == len(known) and len(leads) == n - len(known),
            "%d contacts (%d known), %d leads" % (len(contacts), len(known), len(leads)))
    c.check(not set(contacts) & set(leads), "no visitor is both a Contact and a Lead")
    c.check(all(json.loads(v).get("LastName", "").startswith("Known") and json.loads(v).get("Phone")
                for v in contacts.values()), "known contacts updated, not replaced (their phone filled)")
    links = [json.loads(r) for r in reports.values()]
    c.check(len(links) == n and all(("Contact__c" in r) != ("Lead__c" in r) for r in links),
            "each report links to exactly one of Contact and Lead")
    c.check(all((r.get("Contact__c") in contacts) or (r.get("Lead__c") in leads) for r in links),
            "each report links to the record written for its lead")
    want = (contacts, leads, reports, total)

    again = run(crmmap, mapc, inp, refdir, *flags)
    c.check(again.summary == (2 * n, 2 * n, 0, 0) and again.status == 0, "second run: %s %s"
            % (again.summary, again.stderr[-300:]))
    c.check(snapshot() == want, "a second run leaves every record as the first did")

    reset()
    seed_contacts(n)
    rng = random.Random(seed)
    killed = runlib.kill_runs(crmmap, mapc, inp, work, flags, kills, rng)
    final = run(crmmap, mapc, inp, work, "--resume", *flags)
    c.check(killed > 0, "at least one run was killed (%d)" % killed)
    c.check(final.status == 0 and final.summary == (2 * n, 2 * n, 0, 0), "resumed run: %s %s"
            % (final.summary, final.stderr[-300:]))
    got = snapshot()
    c.check(got == want, "after kill -9 and --resume every record is as after one clean run "
            "(%d vs %d records)" % (got[3], want[3]))
    print("fallback: %d leads, %d known contacts; killed %d runs" % (n, len(known), killed))
    c.exit()


if __name__ == "__main__":
    main()
