#!/usr/bin/env python3
"""examples.py CRMMAP FILE.map

An example mapping checks against its committed field definitions: exit 0,
no error (warnings are allowed: they show what the checker sees), every
diagnostic located in the mapping itself."""
import json
import os
import subprocess
import sys

bin_, path = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
r = subprocess.run([bin_, "check", "--format", "json", path], capture_output=True, timeout=60)
failures = []
if r.returncode != 0:
    failures.append(f"exit {r.returncode}")
diags = json.loads(r.stdout or b"[]")
for d in diags:
    if d["severity"] == "error":
        failures.append(f"{d['line']}:{d['col']}: {d['code']} {d['message']}")
    if d["file"] != path:
        failures.append(f"diagnostic in {d['file']}")
for f in failures:
    print("FAIL:", f)
print(f"{len(diags)} warning(s)")
sys.exit(1 if failures else 0)
