#!/usr/bin/env python3
"""The fault matrix through `crmmap run`: N snapADDY leads (every 97th with
an e-mail Salesforce refuses) go to tools/crmserver with the bundled
Salesforce mapping (Contact upsert with master crm reads, Visit_Report__c
linked to it) while the server injects one kind of fault into 20% of the
requests. Afterwards: ok + failed + skipped == in, the failed are exactly the
refused e-mails, their visit reports are skipped, the error file holds
exactly the failed, and the server holds every key exactly once. A 401 in
the middle of a run with a static token stops it (exit 4); --resume then
finishes it. tests/connectors/fault_matrix.c covers the connectors alone.

Usage: fault_matrix.py CRMMAP REPO_ROOT WORKDIR N FAULT|all ...
Prints one Markdown table row per fault; exit 1 when a check failed."""
import email.utils
import os
import shutil
import sys
import time

import runlib
from runlib import admin, records, reset, run

FAULTS = ["none", "429", "429_date", "429_none", "500", "502", "503", "504", "limit_exceeded", "lock_row",
          "timeout", "reset_before", "reset_after", "invalid_json", "401"]


def spec(kind):
    """The server's fault schedule for a matrix entry, and crmmap's extra flags."""
    every = {"probability": 0.2, "count": 10 ** 6}
    if kind == "none":
        return [], []
    if kind == "429":
        return [dict(every, kind="429", retry_after="0.05")], []
    if kind == "429_date":
        # An HTTP date a second ahead: the client waits until then.
        return [dict(every, kind="429", retry_after=email.utils.formatdate(time.time() + 1, usegmt=True))], []
    if kind == "429_none":
        return [dict(every, kind="429", retry_after=None)], []
    if kind == "timeout":
        return [dict(every, kind="timeout", delay=1.2)], ["--timeout-ms", "800"]
    if kind == "401":
        return [{"kind": "401", "count": 1, "skip": 6}], []
    return [dict(every, kind=kind)], []


def one(c, crmmap, mapping, inp, work, n, kind):
    faults, flags = spec(kind)
    reset(faults, seed=7)
    started = time.time()
    res = run(crmmap, mapping, inp, work, *flags, timeout=900)
    fired = sum(admin("/__admin/state")["faults_fired"].values())
    status = res.status
    lines = list(res.lines)
    if kind == "401":
        c.check(res.status == 4 and "401" in res.stderr, "401: a static token stops the run: %d %s"
                % (res.status, res.stderr[-300:]))
        admin("/__admin/faults", {"faults": []})
        res = run(crmmap, mapping, inp, work, "--resume", timeout=900)
        status = res.status
        lines += res.lines
    secs = time.time() - started
    bad = n // 97
    want = (2 * n, 2 * n - 2 * bad, bad, bad)
    s = res.summary or (0, 0, 0, 0)
    c.check(res.summary == want, "%s: summary %s, want %s: %s" % (kind, res.summary, want, res.stderr[-400:]))
    c.check(status == 3, "%s: exit %d, want 3" % (kind, status))
    contacts = records("salesforce", "Contact").values()
    reports = records("salesforce", "Visit_Report__c").values()
    emails = [r["Email"].lower() for r in contacts]
    exts = [r["External_Id__c"] for r in reports]
    dups = (len(emails) - len(set(emails))) + (len(exts) - len(set(exts)))
    c.check(dups == 0, "%s: %d duplicates on the server" % (kind, dups))
    c.check(len(set(emails)) == n - bad and len(set(exts)) == n - bad,
            "%s: on the server %d contacts, %d visit reports, want %d" % (kind, len(set(emails)), len(set(exts)),
                                                                           n - bad))
    ids = {r["Id"] for r in contacts}
    c.check(all(r.get("Contact__c") in ids for r in reports), "%s: every visit report linked to a contact" % kind)
    failed = sorted(e["record"] for e in res.errors)
    c.check(failed == [i for i in range(1, n + 1) if i % 97 == 0] and
            all(e.get("code") == "STRING_TOO_LONG" and e.get("entity") == "Contact" for e in res.errors),
            "%s: the error file holds exactly the %d failed (has %d)" % (kind, bad, len(res.errors)))
    settled = {(l["record"], l["entity"]) for l in lines if l.get("state") != "sending"}
    c.check(len(settled) == 2 * n, "%s: every unit reported on stdout (%d)" % (kind, len(settled)))
    print("| %s | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d | %.1f |"
          % (kind, fired, s[0], s[1], s[2], s[3], len(set(emails)), len(set(exts)), dups, len(res.errors), status,
             secs), flush=True)


def main():
    crmmap, root, work, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    kinds = FAULTS if sys.argv[5:] == ["all"] else sys.argv[5:]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    inp = os.path.join(work, "leads.ndjson")
    runlib.write_leads(inp, n)
    mapping = os.path.join(root, "examples", "salesforce", "fair-leads.map")
    c = runlib.Checks()
    print("| fault | fired | in | ok | failed | skipped | contacts | visit reports | duplicates | error lines | exit | s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for kind in kinds:
        one(c, crmmap, mapping, inp, work, n, kind)
    c.exit()


if __name__ == "__main__":
    main()
