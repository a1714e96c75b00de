#!/usr/bin/env python3
"""formats.py CRMMAP FILE.map EXPECTED.json

Runs `crmmap check` with --format json, sarif and github on FILE.map (from
its folder) and checks each against EXPECTED.json, the hand-written list of
diagnostics in docs/diagnostics.md's JSON shape: exit status 1, nothing on stderr,
JSON equal to EXPECTED, SARIF 2.1.0 results and GitHub annotations saying
the same things."""
import json
import os
import re
import subprocess
import sys

bin_, path, expected_path = (os.path.abspath(a) for a in sys.argv[1:4])
os.chdir(os.path.dirname(os.path.abspath(path)))
name = os.path.basename(path)
with open(expected_path, encoding="utf-8") as f:
    expected = json.load(f)
failures = []


def run(fmt):
    r = subprocess.run([bin_, "check", "--format", fmt, name], capture_output=True,
                       env=dict(os.environ, NO_COLOR="1"))
    if r.returncode != 1:
        failures.append(f"--format {fmt}: exit {r.returncode}, expected 1")
    if r.stderr:
        failures.append(f"--format {fmt}: unexpected stderr: {r.stderr.decode()}")
    return r.stdout.decode("utf-8")


def full_text(d):
    return d["message"] + "".join("\nhelp: " + h for h in d["help"])


got = json.loads(run("json"))
if got != expected:
    failures.append("json differs:\n  got:      %s\n  expected: %s" % (got, expected))

sarif = json.loads(run("sarif"))
if sarif.get("version") != "2.1.0" or len(sarif.get("runs", [])) != 1:
    failures.append("sarif: not one 2.1.0 run")
else:
    run0 = sarif["runs"][0]
    rules = {r["id"] for r in run0["tool"]["driver"]["rules"]}
    results = run0["results"]
    if rules != {d["code"] for d in expected}:
        failures.append(f"sarif rules {rules}")
    if len(results) != len(expected):
        failures.append(f"sarif: {len(results)} results, expected {len(expected)}")
    for r, d in zip(results, expected):
        loc = r["locations"][0]["physicalLocation"]
        want = {"ruleId": d["code"], "level": d["severity"], "text": full_text(d),
                "uri": d["file"], "region": {"startLine": d["line"], "startColumn": d["col"],
                                             "endLine": d["end_line"], "endColumn": d["end_col"]}}
        have = {"ruleId": r["ruleId"], "level": r["level"], "text": r["message"]["text"],
                "uri": loc["artifactLocation"]["uri"], "region": loc.get("region")}
        if have != want:
            failures.append(f"sarif result differs:\n  got:      {have}\n  expected: {want}")

lines = run("github").splitlines()
pattern = re.compile(r"^::(error|warning) file=([^,]*),line=(\d+),col=(\d+),endLine=(\d+),"
                     r"endColumn=(\d+),title=(\w+)::(.*)$")
if len(lines) != len(expected):
    failures.append(f"github: {len(lines)} lines, expected {len(expected)}")
for line, d in zip(lines, expected):
    m = pattern.match(line)
    if not m:
        failures.append(f"github: malformed line {line!r}")
        continue
    text = m.group(8).replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")
    have = (m.group(1), m.group(2), int(m.group(3)), int(m.group(4)), int(m.group(5)),
            int(m.group(6)), m.group(7), text)
    want = (d["severity"], d["file"], d["line"], d["col"], d["end_line"], d["end_col"],
            d["code"], full_text(d))
    if have != want:
        failures.append(f"github line differs:\n  got:      {have}\n  expected: {want}")

for f in failures:
    print("FAIL:", f)
print("ok" if not failures else f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
