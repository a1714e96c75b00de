#!/usr/bin/env python3
"""design_copy.py DESIGN.md COPY.map: COPY.map is DESIGN.md's first code block (§2's example)."""
import re
import sys

design, copy = sys.argv[1:3]
with open(design, encoding="utf-8") as f:
    blocks = re.findall(r"```\n(.*?)```", f.read(), re.S)
with open(copy, encoding="utf-8") as f:
    if f.read() != blocks[0]:
        print(f"FAIL: {copy} is not DESIGN.md's example any more; copy it again")
        sys.exit(1)
print("ok")
