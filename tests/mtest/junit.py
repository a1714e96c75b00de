#!/usr/bin/env python3
"""`crmmap test --junit FILE` writes well-formed JUnit XML: one testsuite for
the mapping, one testcase per case, failures carrying the diff text, errors
for cases that could not run, names XML-escaped.
Usage: junit.py CRMMAP DIR (DIR: tests/mtest)"""
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

crmmap, here = os.path.abspath(sys.argv[1]), sys.argv[2]
fails = []


def check(cond, what):
    if not cond:
        fails.append(what)


def run(*args):
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run([crmmap, "test", *args], cwd=work, env=env, capture_output=True, text=True)


with tempfile.TemporaryDirectory() as tmp:
    work = os.path.join(tmp, "work")
    shutil.copytree(os.path.join(here, "cases"), os.path.join(work, "cases"))
    report = os.path.join(tmp, "report.xml")
    p = run("cases/leads.map", "cases/pass.test.json", "cases/fail.test.json", "cases/bad_names.test.json",
            "cases/bad_json.test.json", "--junit", report)
    check(p.returncode == 1, f"exit {p.returncode}, want 1")
    root = ET.parse(report).getroot()     # raises on malformed XML
    check(root.tag == "testsuites", f"root is <{root.tag}>")
    suites = root.findall("testsuite")
    check(len(suites) == 1, f"{len(suites)} testsuites, want 1")
    suite = suites[0]
    check(suite.get("name") == "cases/leads.map", f"suite name {suite.get('name')!r}")
    cases = suite.findall("testcase")
    # pass: 7 cases, fail: 7, bad_names: 5 (1 passes), bad_json: 1 entry for the file
    check(len(cases) == 20, f"{len(cases)} testcases, want 20")
    check(suite.get("tests") == "20", f"tests={suite.get('tests')}")
    check(suite.get("failures") == "7", f"failures={suite.get('failures')}")
    check(suite.get("errors") == "5", f"errors={suite.get('errors')}")
    by_name = {c.get("name"): c for c in cases}
    esc = by_name.get("escaping: <Müller & Söhne> \"quoted\" 'single'")
    check(esc is not None and len(esc) == 0, "the escaped case name did not round-trip as a pass")
    owner = by_name.get("values that differ, are missing, or should not be sent")
    failure = owner.find("failure") if owner is not None else None
    check(failure is not None, "no <failure> for a failing case")
    if failure is not None:
        text = failure.text or ""
        check("cases/leads.map:45:3: error[E0303]: Contact.OwnerId differs" in text, "failure lacks the .map position")
        check('help: expected: "0055g00000AnnaBAAA" (anna.berger@example.com)' in text, "failure lacks expected")
        check('help: actual:   "0055g00000InboxAAA" (sales-inbox@example.com)' in text, "failure lacks actual")
        check(failure.get("message", "").startswith("cases/leads.map:25:3: error[E0303]"),
              f"failure message {failure.get('message')!r}")
        check("\033" not in text, "colour codes in the report")
    broken = by_name.get("misspelt entity and fields")
    error = broken.find("error") if broken is not None else None
    check(error is not None and "did you mean 'Contact'?" in (error.text or ""), "no <error> for a broken case")
    bell = by_name.get("an input the reader refuses (and a bell? in the name)")
    check(bell is not None and bell.find("failure") is not None, "a control character in a name is not '?'")
    whole = by_name.get("(case file)")
    check(whole is not None and whole.get("classname") == "cases/bad_json.test.json", "no entry for the bad file")
    check(all(c.get("classname", "").startswith("cases/") for c in cases), "a testcase without its case file")

    # A mapping that does not check: the report says so too.
    with open(os.path.join(work, "cases/leads.map")) as f:
        broken_map = f.read().replace("FirstName         =", "FristName =")
    with open(os.path.join(work, "cases/broken.map"), "w") as f:
        f.write(broken_map)
    p = run("cases/broken.map", "cases/pass.test.json", "--junit", report)
    check(p.returncode == 1, f"broken mapping: exit {p.returncode}, want 1")
    suite = ET.parse(report).getroot().find("testsuite")
    err = suite.find("testcase/error")
    check(err is not None and "E0102" in (err.text or ""), "broken mapping: no <error> with the check's diagnostic")

for f in fails:
    print("FAIL:", f)
print("ok" if not fails else f"{len(fails)} failed")
sys.exit(1 if fails else 0)
