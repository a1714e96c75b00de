#!/usr/bin/env python3
"""canary.py CRMMAP REPO_ROOT WORKDIR

The secrets and contact-data canary (docs/security.md, sections 4 and 5): a
full `crmmap run` of the Salesforce example against tools/crmserver (started
by with_server.py with the canary token), with two canary contacts among
the bundled leads: one the CRM accepts, one it refuses (an e-mail address
longer than the field). Then stdout, stderr, the journal (with its WAL and
shared-memory files) and the error file are searched, once for a plain run
and once with --verbose:

- the token appears nowhere;
- the accepted contact's data appears nowhere;
- the refused contact's data appears only in the error file.

Usage: with_server.py --token TOKEN ... -- canary.py CRMMAP REPO_ROOT WORKDIR
(TOKEN must be the one below.)"""
import json
import os
import shutil
import subprocess
import sys

TOKEN = "cnry5f1e9a7c3b2d8e4f6a0b"
URL = os.environ["CRMSERVER_URL"]
crmmap, root, work = sys.argv[1:4]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
failures = []

OK = {"firstName": "Quoxcanaryok", "lastName": "Vexcanaryok", "email": "quox.vexcanaryok@example.com",
      "phone": "0931 5550123", "company": "Canaryokfirma GmbH", "city": "Würzburg", "country": "DE",
      "visitreport": {"id": "vr-canary-ok", "title": "Fair", "created": "2026-04-21T10:00:00Z"}}
FAIL = {"firstName": "Ywcanaryfail", "lastName": "Jqcanaryfail",
        "email": "jq.ywcanaryfail" + "x" * 80 + "@example.com", "phone": "0931 5550987",
        "company": "Canaryfailwerk AG", "city": "Würzburg", "country": "DE",
        "visitreport": {"id": "vr-canary-fail", "title": "Fair", "created": "2026-04-21T10:00:00Z"}}
# What must not leak: distinctive pieces of each contact (the phone as the
# mapping normalises it, too).
OK_MARKS = ["Quoxcanaryok", "Vexcanaryok", "quox.vexcanaryok", "Canaryokfirma", "5550123"]
FAIL_MARKS = ["Ywcanaryfail", "Jqcanaryfail", "jq.ywcanaryfail", "Canaryfailwerk", "5550987"]


def contents(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", errors="replace")


def one_run(name, *flags):
    d = os.path.join(work, name)
    os.makedirs(d)
    inp = os.path.join(d, "leads.ndjson")
    with open(os.path.join(root, "examples", "records", "fair-leads.ndjson"), encoding="utf-8") as f:
        leads = f.read()
    with open(inp, "w", encoding="utf-8") as f:
        f.write(leads + json.dumps(OK) + "\n" + json.dumps(FAIL) + "\n")
    errors, journal = os.path.join(d, "errors.ndjson"), os.path.join(d, "journal.db")
    # --force: the server does not serve the example's custom Visit_Report__c
    # describe, so the drift check would stop the run before anything is sent.
    cmd = [crmmap, "run", os.path.join(root, "examples", "salesforce", "fair-leads.map"), "--input", inp,
           "--url", URL, "--plain-http", "--force", "--errors", errors, "--journal", journal,
           "--token-env", "CANARY_TOKEN"] + list(flags)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, CANARY_TOKEN=TOKEN))
    if proc.returncode != 3:
        failures.append(f"{name}: exit {proc.returncode}, expected 3 (some records failed): {proc.stderr[-400:]}")
    places = {"stdout": proc.stdout, "stderr": proc.stderr}
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(journal + suffix):
            places["journal" + suffix] = contents(journal + suffix)
    if "journal" not in places:
        failures.append(f"{name}: no journal written")
    error_file = contents(errors) if os.path.exists(errors) else ""
    places["error file"] = error_file
    for where, text in places.items():
        if TOKEN in text:
            failures.append(f"{name}: the token is in {where}")
        for mark in OK_MARKS:
            if mark in text:
                failures.append(f"{name}: the accepted contact's '{mark}' is in {where}")
        if where != "error file":
            for mark in FAIL_MARKS:
                if mark in text:
                    line = next(l for l in text.splitlines() if mark in l)
                    failures.append(f"{name}: the refused contact's '{mark}' is in {where}: {line[:200]}")
    # The refused contact is in the error file, on its own line(s) only.
    lines = [json.loads(l) for l in error_file.splitlines() if l.strip()]
    theirs = [l for l in lines if "Jqcanaryfail" in json.dumps(l)]
    if not theirs:
        failures.append(f"{name}: the refused contact is not in the error file")
    if any(l.get("input", {}).get("lastName") != "Jqcanaryfail" for l in theirs):
        failures.append(f"{name}: the refused contact's data is on another record's error line")
    print(f"{name}: exit {proc.returncode}, searched {', '.join(places)}")


one_run("plain")
one_run("verbose", "--verbose")
for f in failures:
    print("FAIL:", f)
print("ok" if not failures else f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
