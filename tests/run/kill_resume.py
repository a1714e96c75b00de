#!/usr/bin/env python3
"""kill -9 at random moments, then --resume: the server ends holding exactly
what a run without interruptions leaves (compared field by field, with CRM
ids replaced by the keys they stand for), no key twice, and the last resumed
run accounts for every unit.

Usage: kill_resume.py CRMMAP REPO_ROOT WORKDIR N KILLS SEED"""
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import runlib
from runlib import URL, records, reset, run


def snapshot():
    contacts = records("salesforce", "Contact")
    email_of = {rid: r["Email"].lower() for rid, r in contacts.items()}
    cs = {r["Email"].lower(): tuple(sorted((k, str(v)) for k, v in r.items() if k != "Id")) for r in contacts.values()}
    vs = {}
    for r in records("salesforce", "Visit_Report__c").values():
        fields = {k: v for k, v in r.items() if k != "Id"}
        fields["Contact__c"] = email_of.get(r.get("Contact__c"), "?")
        vs[r["External_Id__c"]] = tuple(sorted((k, str(v)) for k, v in fields.items()))
    dups = len(contacts) - len(cs) + len(records("salesforce", "Visit_Report__c")) - len(vs)
    return cs, vs, dups


def main():
    crmmap, root, work, n, kills, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), \
        int(sys.argv[5]), int(sys.argv[6])
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    c = runlib.Checks()
    rng = random.Random(seed)
    inp = os.path.join(work, "leads.ndjson")
    runlib.write_leads(inp, n)
    # Compiled once, so each start spends its time sending.
    mapc = os.path.join(work, "sf.mapc")
    subprocess.run([crmmap, "compile", os.path.join(root, "examples", "salesforce", "fair-leads.map"), "-o", mapc],
                   check=True, capture_output=True)
    flags = ["--batch-size", "25", "--in-flight", "2"]

    reset()
    # The reference run keeps its own journal: the killed runs start from none.
    refdir = os.path.join(work, "reference")
    os.makedirs(refdir)
    ref = run(crmmap, mapc, inp, refdir, *flags)
    want_cs, want_vs, _ = snapshot()
    c.check(ref.status == 3, "reference run: exit %d" % ref.status)

    reset()
    errors, journal = os.path.join(work, "errors.ndjson"), os.path.join(work, "journal.db")
    killed = 0
    for attempt in range(kills):
        cmd = [crmmap, "run", mapc, "--input", inp, "--url", URL, "--plain-http", "--force", "--errors", errors,
               "--journal", journal, "--token-env", "CRM_TOKEN", "--quiet"] + flags + (["--resume"] if attempt else [])
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env=dict(os.environ, CRM_TOKEN="T"))
        time.sleep(rng.uniform(0.05, 0.8))
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            killed += 1
        p.wait()
    final = run(crmmap, mapc, inp, work, "--resume", *flags)
    bad = n // 97
    c.check(killed > 0, "at least one run was killed (%d)" % killed)
    c.check(final.summary == (2 * n, 2 * n - 2 * bad, bad, bad), "the resumed run accounts for every unit: %s"
            % (final.summary,))
    c.check(final.status == 3, "resumed run: exit %d: %s" % (final.status, final.stderr[-300:]))
    got_cs, got_vs, dups = snapshot()
    c.check(dups == 0, "no key twice on the server (%d)" % dups)
    c.check(got_cs == want_cs, "contacts as after an uninterrupted run (%d vs %d, %d differ)"
            % (len(got_cs), len(want_cs), sum(1 for k in want_cs if got_cs.get(k) != want_cs[k])))
    c.check(got_vs == want_vs, "visit reports as after an uninterrupted run (%d vs %d)" % (len(got_vs), len(want_vs)))
    failed = {e["record"] for e in final.errors}
    c.check(failed == {i for i in range(1, n + 1) if i % 97 == 0}, "the error file names exactly the failed records")
    print("killed %d runs; %d error lines for %d failed units" % (killed, len(final.errors), bad))
    c.exit()


if __name__ == "__main__":
    main()
