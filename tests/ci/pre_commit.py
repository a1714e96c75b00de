#!/usr/bin/env python3
""".pre-commit-hooks.yaml: the keys pre-commit reads, of the right kinds, and
each hook run the way pre-commit runs it (shlex-split `entry` plus the
staged files its `files` pattern selects, the command found on PATH) on a
repository laid out like the examples: both pass on the examples as they
are; check fails (1) on a mapping with an error, fmt on one out of layout,
each naming the file. Fails when an entry, a pattern or a key is wrong.

usage: pre_commit.py CRMMAP SOURCE_DIR WORK_DIR"""
import os
import re
import shlex
import shutil
import subprocess
import sys

import yaml

crmmap, src, work = sys.argv[1:4]
hooks = yaml.safe_load(open(os.path.join(src, ".pre-commit-hooks.yaml")))
problems = []
KNOWN = {"id": str, "name": str, "entry": str, "language": str, "files": str, "exclude": str, "types": list,
         "types_or": list, "exclude_types": list, "always_run": bool, "fail_fast": bool, "verbose": bool,
         "pass_filenames": bool, "require_serial": bool, "description": str, "language_version": str,
         "minimum_pre_commit_version": str, "args": list, "stages": list}
if not isinstance(hooks, list) or not hooks:
    sys.exit("FAIL: .pre-commit-hooks.yaml is not a list of hooks")
for h in hooks:
    for key in ("id", "name", "entry", "language"):
        if key not in h:
            problems.append("hook %s lacks %r" % (h.get("id"), key))
    for key, value in h.items():
        if key not in KNOWN:
            problems.append("hook %s: unknown key %r" % (h.get("id"), key))
        elif not isinstance(value, KNOWN[key]):
            problems.append("hook %s: %r is not a %s" % (h.get("id"), key, KNOWN[key].__name__))
    if h.get("language") not in ("system", "script"):
        problems.append("hook %s: language %r: crmmap is a system command" % (h.get("id"), h.get("language")))
    if h.get("pass_filenames", True) is not True:
        problems.append("hook %s: crmmap takes the files as arguments" % h.get("id"))
by_id = {h.get("id"): h for h in hooks}
if set(by_id) != {"crmmap-check", "crmmap-fmt"}:
    problems.append("hooks are %s, expected crmmap-check and crmmap-fmt" % sorted(by_id))

# A mapping repository: the examples, and files that are not mappings.
shutil.rmtree(work, ignore_errors=True)
repo = os.path.join(work, "repo")
shutil.copytree(os.path.join(src, "examples"), repo)
os.mkdir(os.path.join(repo, ".git"))     # pre-commit runs in a git repository: the mappings' tree
staged = sorted(os.path.relpath(os.path.join(d, f), repo) for d, _, fs in os.walk(repo) for f in fs
                if ".git" not in d)
env = dict(os.environ, PATH=os.path.dirname(os.path.abspath(crmmap)) + os.pathsep + os.environ["PATH"])


def run_hook(hook_id, files):
    """pre-commit's way: files matched by `files`, not by `exclude`, appended to the split entry."""
    h = by_id.get(hook_id)
    if h is None:
        return None, []
    chosen = [f for f in files if re.search(h.get("files", ""), f) and not re.search(h.get("exclude", "^$"), f)]
    argv = shlex.split(h["entry"]) + list(h.get("args", [])) + chosen
    r = subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True)
    return r, chosen


maps = [f for f in staged if f.endswith(".map")]
for hook_id in ("crmmap-check", "crmmap-fmt"):
    r, chosen = run_hook(hook_id, staged)
    if r is None:
        continue
    if sorted(chosen) != maps:
        problems.append("%s selects %s, not the .map files %s" % (hook_id, chosen, maps))
    if r.returncode != 0:
        problems.append("%s fails on the examples (exit %d):\n%s%s" % (hook_id, r.returncode, r.stdout, r.stderr))

bad = os.path.join("salesforce", "broken.map")
text = open(os.path.join(repo, "salesforce", "fair-leads.map")).read()
open(os.path.join(repo, bad), "w").write(text.replace("LastName", "LastNam", 1))
r, _ = run_hook("crmmap-check", [bad, "README.md"])
if r is not None and (r.returncode != 1 or bad not in r.stdout + r.stderr):
    problems.append("crmmap-check on a mapping with an unknown field: exit %d, want 1 naming %s:\n%s"
                    % (r.returncode, bad, r.stderr))
ugly = os.path.join("salesforce", "ugly.map")
open(os.path.join(repo, ugly), "w").write(text.replace("\n  ", "\n      ", 3))
r, _ = run_hook("crmmap-fmt", [ugly])
if r is not None and (r.returncode != 1 or ugly not in r.stdout + r.stderr):
    problems.append("crmmap-fmt on a mapping out of layout: exit %d, want 1 naming %s:\n%s%s"
                    % (r.returncode, ugly, r.stdout, r.stderr))

for p in problems:
    print("FAIL:", p)
if problems:
    sys.exit(1)
print("ok: %d hooks well-formed; both pass on %d example mappings and fail on a broken one" % (len(hooks), len(maps)))
