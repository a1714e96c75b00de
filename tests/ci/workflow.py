#!/usr/bin/env python3
"""The GitHub Actions workflow in docs/ci.md is valid YAML of the workflow's
shape, and does what it says when run as GitHub runs it on the example
mappings: its crmmap action step (action.yml, run locally by
tests/ci/actionlib.py with the built crmmap, as its `crmmap` input allows)
passes with annotations and one JUnit file per mapping, and its SARIF step
writes a log and stays green.

usage: workflow.py CRMMAP SOURCE_DIR WORK_DIR
"""
import json
import os
import re
import subprocess
import sys

import yaml

import actionlib

crmmap, src, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])
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

workspace = os.path.join(work, "workspace")
mappings = actionlib.mapping_repo(src, workspace)
wf_env = {key: str(value) for key, value in wf.get("env", {}).items()}

step = next((s for s in steps if str(s.get("uses", "")).endswith("/crmmap@v1")), None)
if step is None:
    problems.append("no step uses the crmmap action (OWNER/crmmap@v1)")
else:
    inputs = {k: re.sub(r"\$\{\{\s*env\.(\w+)\s*\}\}", lambda m: wf_env[m.group(1)], str(v))
              for k, v in step.get("with", {}).items()}
    if inputs.get("mappings") != "mappings/*.map":
        problems.append(f"the action's mappings input is {inputs.get('mappings')!r}, not mappings/*.map")
    inputs["crmmap"] = crmmap
    action = actionlib.load(src)
    for name, r in actionlib.run(action, src, inputs, workspace, os.path.join(work, "temp"), dict(os.environ)):
        if r is not None and r.returncode != 0:
            problems.append(f"the action's step {name!r} fails on the examples (exit {r.returncode}):\n"
                            f"{r.stdout[-1500:]}{r.stderr[-1500:]}")
        if name == "crmmap check" and (r is None or not re.search(r"^::(error|warning) file=mappings/\w+\.map,",
                                                                  r.stdout, re.M)):
            problems.append("the action's check step made no annotations on the examples")
    junit = os.path.join(workspace, "crmmap-junit")
    reports = sorted(os.listdir(junit)) if os.path.isdir(junit) else []
    n_maps = len([f for f in os.listdir(mappings) if f.endswith(".map")])
    if len(reports) != n_maps:
        problems.append(f"the action wrote {reports}: not one JUnit file per mapping")
    upload = next((s for s in steps if "upload-artifact" in str(s.get("uses", ""))), None)
    if upload is None or upload.get("with", {}).get("path", "").rstrip("/") != "crmmap-junit":
        problems.append("the JUnit folder the action writes (crmmap-junit) is not uploaded")

sarif = next((s for s in steps if s.get("name") == "crmmap check (SARIF)"), None)
if sarif is None:
    problems.append("no step named 'crmmap check (SARIF)'")
else:
    # The action leaves the crmmap it used in $CRMMAP for later steps.
    env = dict(os.environ, **wf_env, CRMMAP=crmmap)
    r = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", sarif["run"]],
                       cwd=workspace, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        problems.append(f"the SARIF step fails (exit {r.returncode}): {r.stderr}")
    else:
        log = json.load(open(os.path.join(workspace, "crmmap.sarif")))
        if log.get("version") != "2.1.0" or not log["runs"][0]["results"]:
            problems.append("the SARIF step's crmmap.sarif is not a SARIF 2.1.0 log with the examples' results")

for p in problems:
    print("FAIL:", p)
if problems:
    sys.exit(1)
print(f"ok: the workflow's {len(steps)} steps are well-formed; the crmmap action and the SARIF step pass on the examples")
