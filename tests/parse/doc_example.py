#!/usr/bin/env python3
"""doc_example.py LANGUAGE.md COPY.map: the complete example that
docs/language.md shows is COPY.map verbatim, the file the parse and fmt
tests run, so the example users read is one that parses."""
import sys

doc, copy = sys.argv[1:3]
blocks, block = [], None
with open(doc, encoding="utf-8") as f:
    for line in f:
        if line.startswith("```"):
            if block is not None:
                blocks.append("".join(block))
            block = [] if block is None else None
        elif block is not None:
            block.append(line)
with open(copy, encoding="utf-8") as f:
    want = f.read()
first = want.split("\n", 1)[0]
shown = [b for b in blocks if b.split("\n", 1)[0] == first]
if shown != [want]:
    print(f"FAIL: {doc} does not show {copy} verbatim in one code block (blocks starting '{first}': {len(shown)});"
          " copy it again")
    sys.exit(1)
print("ok")
