#!/usr/bin/env python3
"""include_only.py CRMMAP

An include-only file (no mapping, source or target; docs/language.md,
"Include") is no mapping of its own: `check` reads its syntax and its
includes and says so in one note line (exit 0, nothing in the machine
formats), but a syntax error or a bad include in it still fails, without
the note; entities in it are left to the mappings that include it too.
`compile`, a run of the .map and `doc` refuse it with a help and write nothing,
while the mapping that includes it checks and compiles."""
import json
import os
import subprocess
import sys
import tempfile

from include_schemas import SCHEMA, SOURCE

bin_ = os.path.abspath(sys.argv[1])
failures = []
SHARED = 'table Salutation {\n  "0" -> "Ms."\n  "1" -> "Mr."\n  else -> null\n}\n'
ENTITY = 'entity Contact upsert by Email {\n  Email = email\n  Title = Salutation[gender]\n}\n'
MAPPING = ('mapping "m"\nsource s schema "lead.json"\ntarget salesforce schema "sf"\n'
           'include "shared.map"\ninclude "entities.map"\n')
NOTE = ("%s: note: include-only file (no mapping, source or target): its syntax and includes are fine; "
        "its declarations are checked in each mapping that includes it\n")


def run(folder, *args):
    return subprocess.run([bin_, *args], cwd=folder, capture_output=True, text=True,
                          env=dict(os.environ, NO_COLOR="1"), timeout=60)


def expect(name, r, status, stderr=None, has=None):
    if r.returncode != status:
        failures.append(f"{name}: exit {r.returncode}, expected {status}: {r.stderr}")
    if stderr is not None and r.stderr != stderr:
        failures.append(f"{name}: stderr {r.stderr!r}, expected {stderr!r}")
    if has is not None and has not in r.stderr:
        failures.append(f"{name}: stderr lacks {has!r}: {r.stderr!r}")


with tempfile.TemporaryDirectory() as d:
    files = {"sf/Contact.json": json.dumps(SCHEMA), "lead.json": json.dumps(SOURCE), "shared.map": SHARED,
             "entities.map": 'include "shared.map"\n' + ENTITY, "m.map": MAPPING,
             "typo.map": SHARED.replace("else", "esle"), "lost.map": 'include "missing.map"\n' + SHARED,
             "users_only.map": 'users "users.json"\n' + SHARED}
    for path, text in files.items():
        os.makedirs(os.path.join(d, os.path.dirname(path)), exist_ok=True)
        with open(os.path.join(d, path), "w") as f:
            f.write(text)

    expect("check shared.map", run(d, "check", "shared.map"), 0, NOTE % "shared.map")
    # Entities need the mapping's source and target: checked where included.
    expect("check entities.map", run(d, "check", "entities.map"), 0, NOTE % "entities.map")
    # One note per include-only file, after the diagnostics; the mapping is checked in full.
    expect("check all", run(d, "check", "m.map", "shared.map", "entities.map"), 0,
           NOTE % "shared.map" + NOTE % "entities.map")
    for fmt in ("json", "sarif", "github"):
        r = run(d, "check", "--format", fmt, "shared.map")
        expect(f"check --format {fmt}", r, 0, "")
        if fmt == "json" and json.loads(r.stdout) != []:
            failures.append(f"check --format json: {r.stdout!r}")
    r = run(d, "check", "typo.map")
    expect("syntax error", r, 1, has="typo.map:4:3: error[")
    if "note:" in r.stderr:
        failures.append(f"syntax error: a note: {r.stderr!r}")
    r = run(d, "check", "lost.map")
    expect("bad include", r, 1, has="lost.map:1:9: error[E0123]")
    if "note: include-only" in r.stderr:
        failures.append(f"bad include: a note: {r.stderr!r}")
    # `users` is a header word an included file may not declare: this is a broken mapping.
    expect("users only", run(d, "check", "users_only.map"), 1, has="error[E0113]: the mapping declares no target")

    refusal = ("shared.map: error: an include-only file (no mapping, source or target) has nothing to compile\n"
               "  help: compile the mapping that includes it; `crmmap check shared.map` checks its syntax and "
               "includes\n")
    expect("compile shared.map", run(d, "compile", "shared.map", "-o", "out.mapc"), 1, refusal)
    if os.path.exists(os.path.join(d, "out.mapc")):
        failures.append("compile shared.map wrote out.mapc")
    with open(os.path.join(d, "in.ndjson"), "w") as f:
        f.write('{"email": "a@example.com", "gender": "0"}\n')
    expect("run shared.map", run(d, "run", "shared.map", "--input", "in.ndjson", "--dry-run"), 1, refusal)
    expect("compile m.map", run(d, "compile", "m.map", "-o", "out.mapc"), 0, "")
    expect("doc shared.map", run(d, "doc", "shared.map", "-o", "out.html"), 1,
           refusal.replace("compile", "document"))
    if os.path.exists(os.path.join(d, "out.html")):
        failures.append("doc shared.map wrote out.html")

for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
