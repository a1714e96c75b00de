#!/usr/bin/env python3
"""doc_check.py CRMMAP lexer.l language.md

docs/language.md keeps step with the scanner: every keyword that
grammar/lexer.l returns appears in the doc in backquotes, and the doc's
opening example parses and is already in canonical layout."""
import os
import re
import subprocess
import sys
import tempfile

bin_, lexer, doc = sys.argv[1:4]
with open(lexer, encoding="utf-8") as f:
    keywords = re.findall(r'^"([a-z]+)"\s+\{\s*return T_', f.read(), re.M)
with open(doc, encoding="utf-8") as f:
    text = f.read()
failures = []
if len(keywords) < 20:
    failures.append(f"found only {len(keywords)} keywords in {lexer}: the pattern no longer matches")
for kw in keywords:
    if f"`{kw}`" not in text:
        failures.append(f"keyword '{kw}' of the scanner is not documented in {doc}")
example = re.findall(r"```\n(.*?)```", text, re.S)[0]
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "example.map")
    with open(path, "w", encoding="utf-8") as f:
        f.write(example)
    r = subprocess.run([bin_, "fmt", "--check", path], capture_output=True)
    if r.returncode != 0:
        failures.append("the opening example does not parse or is not in canonical layout:\n"
                        + r.stdout.decode() + r.stderr.decode())
for f in failures:
    print("FAIL:", f)
print(f"ok: {len(keywords)} keywords documented" if not failures else f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
