#!/usr/bin/env python3
"""Hostile VisitReport exports through `crmmap run --dry-run`: every prefix
of tests/run/visitreport_export_bad.json (cut at every 11th byte) and the
export with each of its structural members replaced by a value of another
type. Each run ends by itself with exit 0, 1 or 3 (never a signal) and,
unless it read every record, says why: an error at a line:col on stderr,
or a record's error or reject on stdout. A prefix that holds the list of
reports is taken for an export cut short, and said to be one.

Usage: visitreport_hostile.py CRMMAP REPO_ROOT WORKDIR"""
import json
import os
import re
import shutil
import subprocess
import sys

crmmap, root, work = sys.argv[1:4]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
mapping = os.path.join(root, "examples", "salesforce", "fair-leads.map")
with open(os.path.join(root, "tests", "run", "visitreport_export_bad.json"), "rb") as f:
    text = f.read()
doc = json.loads(text)
prefixes = [text[:n] for n in range(0, len(text), 11)]
cases = list(prefixes)
for key in ("questionnaire", "questions", "questionOptions", "participants", "answers", "answerOptions"):
    for other in (None, 7, "x", [], {}, [[1]], [{"participantId": 7, "questionId": {}}]):
        cases.append(json.dumps(dict(doc, **{key: other})).encode())
failed = 0
where = re.compile(r":\d+:\d+: error: ")
for i, data in enumerate(cases):
    path = os.path.join(work, "in.json")
    with open(path, "wb") as f:
        f.write(data)
    p = subprocess.run([crmmap, "run", mapping, "--input", path, "--dry-run", "--quiet"], capture_output=True,
                       text=True, timeout=60)
    said = where.search(p.stderr) or (p.returncode == 3 and re.search(r'"(error|reject)": ', p.stdout))
    if p.returncode not in (0, 1, 3) or (p.returncode != 0 and not said):
        failed += 1
        print("FAIL: case %d (%r...): exit %d\n%s" % (i, data[:60], p.returncode, p.stderr[-600:]))
    elif i < len(prefixes) and b'"participants"' in data and "this VisitReport export cannot be read" not in p.stderr:
        failed += 1
        print("FAIL: an export cut at byte %d is not named as one: %s" % (len(data), p.stderr[-300:]))
print("%d cases, %s" % (len(cases), "all checks passed" if not failed else "%d failed" % failed))
sys.exit(1 if failed else 0)
