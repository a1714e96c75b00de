#!/usr/bin/env python3
"""include_paths.py CRMMAP

`include "FILE"` is confined like schema paths (docs/language.md, "Include"):
builds a repository in a temporary folder and checks that `..` that climbs
out of it, a link that leads out and a FIFO are refused with E0123 at the
path (nothing of the outside file echoed, the check never blocks), while
`..` and links that stay inside are followed; compile of a refused include
writes nothing, and compile of a good one gives the same .mapc as the
mapping with the shared file pasted in (the .mapc is self-contained)."""
import json
import os
import subprocess
import sys
import tempfile

from include_schemas import SCHEMA, SOURCE

bin_ = os.path.abspath(sys.argv[1])
failures = []
HEAD = ('mapping "m"\nsource s schema "../schemas/lead.json"\n'
        'target salesforce schema "../schemas/sf"\n')
SHARED = 'table Salutation { "0" -> "Ms." "1" -> "Mr." else -> null }\n'   # one line, as the include
BODY = 'entity Contact upsert by Email {\n  Email = email\n  Title = Salutation[gender]\n}\n'


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(data if isinstance(data, str) else json.dumps(data))


def check(name, folder, include, want):
    """want: (line, col, message start) of the one E0123, or None for a clean check."""
    write(os.path.join(folder, "m.map"), HEAD + f'include "{include}"\n' + BODY)
    r = subprocess.run([bin_, "check", "--format", "json", "m.map"], cwd=folder, capture_output=True, timeout=60)
    diags = json.loads(r.stdout or b"[]")
    got = [(d["line"], d["col"], d["message"]) for d in diags if d["severity"] == "error"]
    if want is None:
        ok = not got and r.returncode == 0
    else:
        ok = (len(got) == 1 and got[0][:2] == want[:2] and got[0][2].startswith(want[2])
              and diags[0]["code"] == "E0123" and r.returncode == 1)
    if not ok:
        failures.append(f"{name}: exit {r.returncode}, got {got}, expected {want}")
    if b"s3cr3t" in r.stdout:
        failures.append(f"{name}: echoes an outside file: {r.stdout[:300]!r}")


with tempfile.TemporaryDirectory() as tmp:
    write(os.path.join(tmp, "secret.map"), 'table s3cr3t {\n  "a" -> "b"\n}\n')
    repo = os.path.join(tmp, "repo")
    os.makedirs(os.path.join(repo, ".git"))
    write(os.path.join(repo, "schemas/sf/Contact.json"), SCHEMA)
    write(os.path.join(repo, "schemas/lead.json"), SOURCE)
    write(os.path.join(repo, "common/shared.map"), SHARED)
    maps = os.path.join(repo, "maps")
    check("dot-dot inside the repository", maps, "../common/shared.map", None)
    check("dot-dot out of the repository", maps, "../../secret.map",
          (4, 9, "cannot include '../../secret.map': it leads outside the mapping's folder tree"))
    os.symlink("../../secret.map", os.path.join(maps, "link.map"))
    check("link out", maps, "link.map", (4, 9, "cannot include 'link.map': it leads outside"))
    os.symlink("../common/shared.map", os.path.join(maps, "inner.map"))
    check("link inside", maps, "inner.map", None)
    os.mkfifo(os.path.join(maps, "fifo.map"))
    check("fifo", maps, "fifo.map", (4, 9, "cannot include 'fifo.map': it is not a regular file"))

    # compile: a refused include writes nothing; a good one is the pasted mapping's .mapc.
    write(os.path.join(maps, "out.map"), HEAD + 'include "../../secret.map"\n' + BODY)
    r = subprocess.run([bin_, "compile", "out.map", "-o", "out.mapc"], cwd=maps, capture_output=True, timeout=60)
    if r.returncode != 1 or b"error[E0123]" not in r.stderr or os.path.exists(os.path.join(maps, "out.mapc")):
        failures.append(f"compile of an include out: exit {r.returncode}, {r.stderr[:300]!r}")
    write(os.path.join(maps, "pasted.map"), HEAD + SHARED + BODY)
    write(os.path.join(maps, "m.map"), HEAD + 'include "../common/shared.map"\n' + BODY)
    outs = []
    for name in ("m", "pasted"):
        r = subprocess.run([bin_, "compile", f"{name}.map", "-o", f"{name}.mapc"], cwd=maps,
                           capture_output=True, timeout=60)
        outs.append(open(os.path.join(maps, f"{name}.mapc"), "rb").read() if r.returncode == 0 else None)
    if outs[0] is None or outs[1] is None:
        failures.append(f"compile: {r.stderr[:300]!r}")
    else:
        dis = [subprocess.run([bin_, "disasm", f"{n}.mapc"], cwd=maps, capture_output=True, text=True).stdout
               for n in ("m", "pasted")]
        # The disassembly names the mapping's file; everything else is the same
        # (the pasted table is one line, like the include, so lines match).
        if [d.split("\n", 1)[1] for d in dis] != [dis[1].split("\n", 1)[1]] * 2:
            failures.append("the including mapping compiles to other code than the pasted one")

for f in failures:
    print("FAIL:", f)
print("ok" if not failures else f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
