#!/usr/bin/env python3
"""run_case.py CRMMAP FILE.map EXPECTED.err

Runs `crmmap check FILE.map` from the mapping's folder and compares the text
diagnostics on stderr with EXPECTED.err exactly (help lines included). The
exit status must be 1 when EXPECTED.err holds an error, else 0; nothing may
go to stdout, and no sanitizer may speak."""
import os
import subprocess
import sys

bin_, path, expected_path = (os.path.abspath(a) for a in sys.argv[1:4])
with open(expected_path, encoding="utf-8") as f:
    expected = f.read()
r = subprocess.run([bin_, "check", os.path.basename(path)], cwd=os.path.dirname(path),
                   capture_output=True, env=dict(os.environ, NO_COLOR="1"), timeout=60)
got = r.stderr.decode("utf-8", errors="replace")
want_status = 1 if "error[" in expected else 0
failures = []
if got != expected:
    import difflib
    diff = difflib.unified_diff(expected.splitlines(True), got.splitlines(True), "expected", "got")
    failures.append("diagnostics differ:\n" + "".join(diff))
if r.returncode != want_status:
    failures.append(f"exit {r.returncode}, expected {want_status}")
if r.stdout:
    failures.append(f"unexpected stdout: {r.stdout[:500]!r}")
for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
