#!/usr/bin/env python3
"""action.yml, the composite GitHub Action docs/ci.md uses: its shape (a
composite action, every input with a description and a default, bash
steps, no `${{ }}` inside a script: inputs come through env:, so a glob
cannot inject a command), every script valid bash, and its `run:` steps run
in order as the runner runs them (tests/ci/actionlib.py) in a fake
workspace laid out like docs/ci.md's: the dependencies step (installs
nothing when the packages are there), then with an installed crmmap (the
build step is only syntax-checked: it takes minutes) check, fmt and test
pass on the examples, a broken and a misformatted mapping fail their steps
with annotations naming them, and a glob that matches nothing fails.

usage: action.py CRMMAP SOURCE_DIR WORK_DIR"""
import os
import subprocess
import sys

import actionlib

crmmap, src, work = sys.argv[1], os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])
crmmap = os.path.abspath(crmmap)
action = actionlib.load(src)
problems = []

if action.get("runs", {}).get("using") != "composite":
    problems.append("runs.using is not composite")
for name, spec in action.get("inputs", {}).items():
    if "description" not in spec or "default" not in spec:
        problems.append("input %s needs a description and a default" % name)
if "mappings" not in action.get("inputs", {}):
    problems.append("no input `mappings`")
steps = action["runs"]["steps"]
for step in steps:
    if "run" not in step:
        continue
    if step.get("shell") != "bash":
        problems.append("step %r: a composite run step needs shell: bash" % step.get("name"))
    if "${{" in step["run"]:
        problems.append("step %r: an expression inside the script (pass it through env:)" % step.get("name"))
    r = subprocess.run(["bash", "-n", "-c", step["run"]], capture_output=True, text=True)
    if r.returncode != 0:
        problems.append("step %r is not valid bash: %s" % (step.get("name"), r.stderr))

base_env = dict(os.environ)


def run(case, inputs, skip=()):
    workspace = os.path.join(work, case, "workspace")
    mappings = actionlib.mapping_repo(src, workspace)
    return mappings, workspace, dict(actionlib.run(action, src, inputs, workspace, os.path.join(work, case, "temp"),
                                                   base_env, skip))


def describe(r):
    return "exit %d:\n%s%s" % (r.returncode, r.stdout[-1500:], r.stderr[-1500:])


# The dependencies step alone, as with no crmmap given (what CI's deps.sh installed is enough).
_, _, res = run("deps", {}, skip=[s.get("name") for s in steps if s.get("name") != "crmmap's build dependencies"])
deps = res.get("crmmap's build dependencies")
if deps is None or deps.returncode != 0:
    problems.append("the dependencies step: %s" % (describe(deps) if deps else "did not run"))

mappings, workspace, res = run("examples", {"crmmap": crmmap})
n_maps = len([f for f in os.listdir(mappings) if f.endswith(".map")])
for name in ("crmmap's build dependencies", "Build crmmap"):
    if res.get(name) is not None:
        problems.append("step %r ran although an installed crmmap was given" % name)
for name in ("Use the installed crmmap", "crmmap check", "crmmap fmt --check", "crmmap test"):
    r = res.get(name)
    if r is None or r.returncode != 0:
        problems.append("%r on the examples: %s" % (name, describe(r) if r else "did not run"))
check = res.get("crmmap check")
if check and not check.stdout.strip() or check and not all(l.startswith(("::warning file=mappings/", "::error file=mappings/"))
                     for l in check.stdout.splitlines()):
    problems.append("check's output is not annotations:\n" + check.stdout)
junit = os.path.join(workspace, "crmmap-junit")
reports = sorted(os.listdir(junit)) if os.path.isdir(junit) else []
if len(reports) != n_maps or "mappings-salesforce.xml" not in reports:
    problems.append("JUnit reports %s: not one per mapping (%d)" % (reports, n_maps))

# A mapping with an unknown field and one out of layout: each step fails and says where.
workspace = os.path.join(work, "broken", "workspace")
mappings = actionlib.mapping_repo(src, workspace)
text = open(os.path.join(mappings, "salesforce.map")).read()
open(os.path.join(mappings, "broken.map"), "w").write(text.replace("LastName", "LastNam", 1))
open(os.path.join(mappings, "ugly.map"), "w").write(text.replace("\n  ", "\n      ", 3))
res = dict(actionlib.run(action, src, {"crmmap": crmmap}, workspace, os.path.join(work, "broken", "temp"), base_env))
r = res.get("crmmap check")
if r is None or r.returncode != 1 or "::error file=mappings/broken.map," not in r.stdout:
    problems.append("check on an unknown field: want exit 1 and an annotation on broken.map; %s"
                    % (describe(r) if r else "did not run"))
r = res.get("crmmap fmt --check")
if r is None or r.returncode != 1 or "::error file=mappings/ugly.map," not in r.stdout:
    problems.append("fmt after a failed check: want exit 1 and an annotation on ugly.map; %s"
                    % (describe(r) if r else "did not run"))
if res.get("crmmap test") is None:
    problems.append("the test step did not run after a failed check")

_, _, res = run("nomatch", {"crmmap": crmmap, "mappings": "maps/*.map"})
r = res.get("crmmap check")
if r is None or r.returncode == 0 or "no mapping matches 'maps/*.map'" not in r.stdout:
    problems.append("a glob matching nothing must fail the check step: %s" % (describe(r) if r else "did not run"))

for p in problems:
    print("FAIL:", p)
if problems:
    sys.exit(1)
print("ok: action.yml's %d steps; check, fmt and test pass on %d example mappings, fail on broken ones"
      % (len(steps), n_maps))
