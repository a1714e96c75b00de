#!/usr/bin/env python3
"""Lists the product C files whose code names a CRM vendor outside files named for it.

"Code" is identifiers and string literals without white space (a key, a URL
part, a system name compared against); comments and messages (literals with
white space) do not count. A file is named for a vendor when its name carries
the vendor (conn_salesforce.c) or its short prefix (schema_import_sf.c).
With --max N, exits 1 when more than N files name a vendor.
"""
import os, re, sys
args = sys.argv[1:]
limit = None
if args[:1] == ["--max"]:
    limit, args = int(args[1]), args[2:]
root = args[0] if args else "."
VENDOR = re.compile(r"salesforce|hubspot|dynamics|dataverse|pipedrive|(?<![a-z])odata|\bsobjects?\b|\bsoql\b|sfdc", re.I)
# a file is "named for" a vendor when its name carries the vendor or its short prefix
OWN = re.compile(r"(salesforce|hubspot|dynamics|pipedrive|_sf|_hs|_dyn|_cdm|_pd)[._]", re.I)
TOKEN = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|[A-Za-z_][A-Za-z0-9_]*', re.S)
hits = []
for d in ("grammar", "compiler", "runtime", "cli"):
    for dp, _, fs in os.walk(os.path.join(root, d)):
        for f in sorted(fs):
            if not f.endswith((".c", ".h", ".y", ".l", ".def")) or OWN.search(f):
                continue
            p = os.path.join(dp, f)
            src = open(p, encoding="utf-8", errors="replace").read()
            found = []
            for m in TOKEN.finditer(src):
                t = m.group(0)
                if t.startswith(("//", "/*", "'")):
                    continue
                if t.startswith('"') and re.search(r"\s", t):
                    continue          # a message, not a name the code acts on
                if VENDOR.search(t):
                    found.append((src.count("\n", 0, m.start()) + 1, t))
            if found:
                hits.append((os.path.relpath(p, root), found))
for p, found in hits:
    print(f"{p}: " + ", ".join(f"{l}:{t}" for l, t in found[:4]) + (" ..." if len(found) > 4 else ""))
print(f"vendor-spread: {len(hits)} files")
sys.exit(1 if limit is not None and len(hits) > limit else 0)
