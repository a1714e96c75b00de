#!/usr/bin/env python3
"""The GitHub Actions workflow in docs/ci.md is valid YAML of the workflow's
shape, and its crmmap steps do what it says when run as GitHub runs them
(bash -eo pipefail) on the example mappings: check annotates, the SARIF
step writes a log and stays green, the test step writes JUnit XML.

The test step runs once `test` is registered in cli/commands.c (another
branch is adding it); until then this prints that it was not run.

usage: workflow.py CRMMAP SOURCE_DIR WORK_DIR
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import yaml

crmmap, src, work = sys.argv[1:4]
doc = open(os.path.join(src, "docs", "ci.md")).read()
blocks = re.findall(r"```yaml\n(.*?)```", doc, re.S)
if len(blocks) != 1:
    sys.exit(f"FAIL: docs/ci.md has {len(blocks)} yaml blocks, expected the one workflow")
wf = yaml.safe_load(blocks[0])
problems = []

# The shape GitHub requires (PyYAML reads the key `on` as True).
triggers = wf.get("on", wf.get(True))
if not triggers or "pull_request" not in triggers:
    problems.append("the workflow does not run on pull_request")
steps = wf["jobs"]["check"]["steps"]
for i, step in enumerate(steps):
    if ("uses" in step) == ("run" in step):
        problems.append(f"step {i + 1} needs exactly one of uses and run: {step}")
    if "uses" in step and not re.fullmatch(r"[\w.-]+/[\w./-]+@v\d+", step["uses"]):
        problems.append(f"step {i + 1}: action {step['uses']!r} is not pinned to a major version")
if wf.get("permissions", {}).get("security-events") != "write":
    problems.append("upload-sarif needs permissions: security-events: write")

registered = re.findall(r"&cmd_(\w+)\s*,", open(os.path.join(src, "cli", "commands.c")).read())
# The layout docs/ci.md describes: mappings/*.map, their field definitions in
# mappings/schemas/, test cases beside them. The examples, laid out so.
shutil.rmtree(work, ignore_errors=True)
mappings = os.path.join(work, "mappings")
shutil.copytree(os.path.join(src, "examples", "schemas"), os.path.join(mappings, "schemas"))
for map_path in sorted(glob.glob(os.path.join(src, "examples", "*", "*.map"))):
    system = os.path.basename(os.path.dirname(map_path))
    text = open(map_path, encoding="utf-8").read().replace('"../schemas/', '"schemas/')
    open(os.path.join(mappings, system + ".map"), "w", encoding="utf-8").write(text)
    cases = map_path[:-len(".map")] + ".test.json"
    if os.path.exists(cases):
        shutil.copy(cases, os.path.join(mappings, system + ".test.json"))
env = dict(os.environ, GITHUB_PATH=os.path.join(work, "github_path"),
           PATH=os.path.dirname(os.path.abspath(crmmap)) + os.pathsep + os.environ["PATH"])
env.update({key: str(value) for key, value in wf.get("env", {}).items()})


def run_step(name):
    step = next((s for s in steps if s.get("name") == name), None)
    if step is None:
        problems.append(f"no step named {name!r}")
        return None
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                          cwd=work, env=env, capture_output=True, text=True)


r = run_step("crmmap check")
if r is not None:
    annotations = r.stdout.splitlines()
    if r.returncode != 0:
        problems.append(f"the check step fails on the examples (exit {r.returncode}): {r.stderr}")
    elif not annotations or not all(re.match(r"::(error|warning) file=mappings/\w+\.map,", a) for a in annotations):
        problems.append(f"the check step's output is not GitHub annotations:\n{r.stdout}")

r = run_step("crmmap check (SARIF)")
if r is not None:
    if r.returncode != 0:
        problems.append(f"the SARIF step fails (exit {r.returncode}): {r.stderr}")
    else:
        log = json.load(open(os.path.join(work, "crmmap.sarif")))
        if log.get("version") != "2.1.0" or not log["runs"][0]["results"]:
            problems.append("the SARIF step's crmmap.sarif is not a SARIF 2.1.0 log with the examples' results")

if "test" in registered:
    r = run_step("crmmap test")
    if r is not None:
        reports = sorted(f for f in os.listdir(work) if f.startswith("junit-") and f.endswith(".xml"))
        if len(reports) != len(glob.glob(os.path.join(mappings, "*.map"))):
            problems.append(f"the test step wrote {reports}: not one JUnit file per mapping")
        if r.returncode != 0:
            problems.append(f"the test step fails on the examples (exit {r.returncode}):\n{r.stdout}{r.stderr}")
        if not reports:
            problems.append("the test step wrote no junit-*.xml")
        for f in reports:
            root = ET.parse(os.path.join(work, f)).getroot()
            if root.tag not in ("testsuites", "testsuite"):
                problems.append(f"{f}: the root element is <{root.tag}>, not JUnit's <testsuites>")
    test_note = "test step ran"
else:
    test_note = "test step not run: `crmmap test` is not registered in cli/commands.c yet"

for p in problems:
    print("FAIL:", p)
if problems:
    sys.exit(1)
print(f"ok: the workflow's {len(steps)} steps are well-formed; check and SARIF steps pass on the examples; "
      + test_note)
