#!/usr/bin/env python3
"""Parts of a `crmmap doc` page against a golden file, by the golden's kind:
- `.code`: the code form of expressions (every <code> of the page, in order),
  and each of them as `crmmap fmt` prints it: both printers bracket and space
  by one precedence table;
- `.svg`: the flow picture (the inline <svg>, doc_flow.c): its layout is
  computed, so the same mapping gives the same picture; the golden file opens
  as an SVG of its own.

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
    text = f.read()
with open(GOLDEN, encoding="utf-8") as f:
    want = f.read()
failures = 0
if GOLDEN.endswith(".svg"):
    svgs = re.findall(r"<svg\b.*?</svg>\n", text, re.S)
    if len(svgs) != 1 or svgs[0] != want:
        failures += 1
        got = os.path.join(OUT, os.path.basename(GOLDEN))
        with open(got, "w", encoding="utf-8") as f:
            f.write(svgs[0] if svgs else "")
        print("FAIL the page's flow picture (%d found) differs from %s; it is in %s" % (len(svgs), GOLDEN, got))
else:
    codes = [html.unescape(c) for c in re.findall(r"<code>(.*?)</code>", text, re.S)]
    if codes != want.splitlines():
        failures += 1
        print("FAIL the page's code differs from %s:\n  got:  %r\n  want: %r" % (GOLDEN, codes, want.splitlines()))
    formatted = subprocess.run([CRMMAP, "fmt", MAPPING], check=True, capture_output=True, text=True).stdout
    for c in codes:
        if "(" in c or " " in c:    # expressions, not bare field names
            if "= " + c not in formatted:
                failures += 1
                print("FAIL fmt prints %r otherwise" % c)
print("ok" if failures == 0 else "%d failure(s)" % failures)
sys.exit(1 if failures else 0)
