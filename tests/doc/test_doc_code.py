#!/usr/bin/env python3
"""The code form of expressions on a `crmmap doc` page against a golden list
(every <code> of the page, in order), and each of them as `crmmap fmt` prints
it: both printers bracket and space by one precedence table.

usage: test_doc_code.py CRMMAP MAPPING GOLDEN OUT_DIR"""
import html
import os
import re
import subprocess
import sys

CRMMAP, MAPPING, GOLDEN, OUT = sys.argv[1:5]
os.makedirs(OUT, exist_ok=True)
page = os.path.join(OUT, os.path.basename(MAPPING) + ".html")
subprocess.run([CRMMAP, "doc", MAPPING, "-o", page], check=True, stderr=subprocess.DEVNULL)
with open(page, encoding="utf-8") as f:
    codes = [html.unescape(c) for c in re.findall(r"<code>(.*?)</code>", f.read(), re.S)]
with open(GOLDEN, encoding="utf-8") as f:
    want = f.read().splitlines()
failures = 0
if codes != want:
    failures += 1
    print("FAIL the page's code differs from %s:\n  got:  %r\n  want: %r" % (GOLDEN, codes, want))
formatted = subprocess.run([CRMMAP, "fmt", MAPPING], check=True, capture_output=True, text=True).stdout
for c in codes:
    if "(" in c or " " in c:    # expressions, not bare field names
        if "= " + c not in formatted:
            failures += 1
            print("FAIL fmt prints %r otherwise" % c)
print("ok" if failures == 0 else "%d failure(s)" % failures)
sys.exit(1 if failures else 0)
