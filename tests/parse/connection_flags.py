#!/usr/bin/env python3
"""connection_flags.py CRMMAP connections.md

docs/connections.md's table of connection flags by command holds: a flag
marked "yes" is in the command's --help, one marked "no" is not there and
the command refuses it as a usage error (exit 2)."""
import re
import subprocess
import sys

crmmap, doc = sys.argv[1:3]
text = open(doc, encoding="utf-8").read()
rows = re.findall(r"^\s*\| `(--[a-z-]+)[^`]*` \|((?: (?:yes|no) \|)+)\s*$", text, re.M)
header = re.search(r"^\s*\| flag \|(.*)\|\s*$", text, re.M)
failures = []
if header is None or len(rows) < 5:
    sys.exit("FAIL: the flag table of %s was not found (%d rows)" % (doc, len(rows)))
commands = [c.strip().strip("`") for c in header.group(1).split("|")]
for flag, cells in rows:
    marks = [c.strip() for c in cells.strip().strip("|").split("|")]
    for cmd, mark in zip(commands, marks):
        argv = [crmmap] + cmd.split()
        helptext = subprocess.run(argv + ["--help"], capture_output=True, text=True).stdout
        listed = re.search(re.escape(flag) + r"\b", helptext) is not None
        if (mark == "yes") != listed:
            failures.append("%s: the table says %s, --help %s it" % (cmd, mark, "lists" if listed else "lacks"))
        if mark == "no":
            r = subprocess.run(argv + ["x.map", flag, "v"], capture_output=True, text=True)
            if r.returncode != 2:
                failures.append("%s %s: exit %d, want 2 (a usage error)" % (cmd, flag, r.returncode))
for f in failures:
    print("FAIL:", f)
print("ok" if not failures else "%d failures" % len(failures))
sys.exit(1 if failures else 0)
