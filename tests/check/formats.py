#!/usr/bin/env python3
"""formats.py CRMMAP FILE.map EXPECTED.err

The checker's diagnostics in every --format say what the text golden says:
runs `crmmap check --format json|sarif|github FILE.map` from the mapping's
folder, parses the output and compares it, diagnostic by diagnostic, with
EXPECTED.err (the hand-checked text form): file, line, column, severity,
code, message, help lines, the include lines an included file's diagnostic
names ("note: included from F:L:C": JSON included_from, SARIF
relatedLocations, the GitHub message) and the span's end (from the caret line). The
exit status is 1 when there are errors, else 0, for every format."""
import json
import os
import re
import subprocess
import sys

bin_, path, expected_path = (os.path.abspath(a) for a in sys.argv[1:4])
folder, name = os.path.dirname(path), os.path.basename(path)
HEAD = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning)\[(?P<code>[EW]\d{4})\]: (?P<msg>.*)$")
CARET = re.compile(r"^ *\| ( *)(\^~*)$")
NOTE = re.compile(r"^  note: included from (?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+)$")


def parse_text(text):
    """Diagnostics from the text form: one dict per header line."""
    out = []
    for line in text.splitlines():
        m = HEAD.match(line)
        if m:
            out.append({"file": m["file"], "line": int(m["line"]), "col": int(m["col"]),
                        "severity": m["sev"], "code": m["code"], "message": m["msg"],
                        "help": [], "width": None, "included_from": []})
        elif NOTE.match(line):
            n = NOTE.match(line)
            out[-1]["included_from"].append({"file": n["file"], "line": int(n["line"]), "col": int(n["col"])})
        elif line.startswith("  help: "):
            out[-1]["help"].append(line[len("  help: "):])
        else:
            c = CARET.match(line)
            if c and out and out[-1]["width"] is None:
                out[-1]["width"] = len(c.group(2))
    return out


with open(expected_path, encoding="utf-8") as f:
    expected = parse_text(f.read())
status = 1 if any(d["severity"] == "error" for d in expected) else 0
failures = []


def run(fmt):
    r = subprocess.run([bin_, "check", "--format", fmt, name], cwd=folder, capture_output=True,
                       env=dict(os.environ, NO_COLOR="1"), timeout=60)
    if r.returncode != status:
        failures.append(f"--format {fmt}: exit {r.returncode}, expected {status}")
    if r.stderr:
        failures.append(f"--format {fmt}: unexpected stderr: {r.stderr[:500]!r}")
    return r.stdout.decode("utf-8")


got = json.loads(run("json"))
if not isinstance(got, list) or len(got) != len(expected):
    failures.append(f"json: {len(got)} diagnostics, expected {len(expected)}")
else:
    for g, e in zip(got, expected):
        keys = {"file", "line", "col", "end_line", "end_col", "severity", "code", "message", "help"}
        if e["included_from"]:
            keys.add("included_from")
            if g.get("included_from") != e["included_from"]:
                failures.append(f"json included_from {g.get('included_from')!r}, expected {e['included_from']!r}")
        if set(g) != keys:
            failures.append(f"json keys {sorted(g)}")
        for k in ("file", "line", "col", "severity", "code", "message", "help"):
            if g.get(k) != e[k]:
                failures.append(f"json {e['code']} at {e['line']}:{e['col']}: {k} {g.get(k)!r}, expected {e[k]!r}")
        # A one-line span: the caret run is end_col - col wide.
        if e["width"] is not None and g.get("end_line") == g.get("line"):
            if g["end_col"] - g["col"] != e["width"]:
                failures.append(f"json {e['code']} at {e['line']}:{e['col']}: end_col {g['end_col']}, caret width {e['width']}")

sarif = json.loads(run("sarif"))
if sarif.get("version") != "2.1.0" or len(sarif.get("runs", [])) != 1:
    failures.append("sarif: not one 2.1.0 run")
else:
    run0 = sarif["runs"][0]
    results = run0.get("results", [])
    rules = {r["id"] for r in run0["tool"]["driver"].get("rules", [])}
    if rules != {d["code"] for d in expected}:
        failures.append(f"sarif rules {sorted(rules)}, expected {sorted({d['code'] for d in expected})}")
    if len(results) != len(expected):
        failures.append(f"sarif: {len(results)} results, expected {len(expected)}")
    for res, e in zip(results, expected):
        where = res["locations"][0]["physicalLocation"]
        region = where["region"]
        if res["ruleId"] != e["code"] or res["level"] != e["severity"]:
            failures.append(f"sarif: {res['ruleId']}/{res['level']}, expected {e['code']}/{e['severity']}")
        if not res["message"]["text"].startswith(e["message"]):
            failures.append(f"sarif message {res['message']['text']!r}, expected {e['message']!r}...")
        for h in e["help"]:
            if h not in res["message"]["text"]:
                failures.append(f"sarif message of {e['code']} lacks help {h!r}")
        if (region["startLine"], region["startColumn"]) != (e["line"], e["col"]):
            failures.append(f"sarif region {region}, expected {e['line']}:{e['col']}")
        related = [(r["physicalLocation"]["artifactLocation"]["uri"], r["physicalLocation"]["region"]["startLine"],
                    r["physicalLocation"]["region"]["startColumn"], r["message"]["text"])
                   for r in res.get("relatedLocations", [])]
        if related != [(i["file"], i["line"], i["col"], "included from") for i in e["included_from"]]:
            failures.append(f"sarif relatedLocations {related}, expected {e['included_from']}")
        if where["artifactLocation"]["uri"] != e["file"]:
            failures.append(f"sarif uri {where['artifactLocation']['uri']!r}, expected {e['file']!r}")

gh = run("github").splitlines()
if len(gh) != len(expected):
    failures.append(f"github: {len(gh)} lines, expected {len(expected)}")
for line, e in zip(gh, expected):
    kind = "error" if e["severity"] == "error" else "warning"
    if not line.startswith(f"::{kind} file={e['file']},line={e['line']},col={e['col']}"):
        failures.append(f"github line {line!r}")
    if e["code"] not in line:
        failures.append(f"github line lacks {e['code']}: {line!r}")
    for i in e["included_from"]:
        if f"%0Aincluded from {i['file']}:{i['line']}:{i['col']}" not in line:
            failures.append(f"github line lacks included from {i}: {line!r}")

for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
