#!/usr/bin/env python3
"""paths.py CRMMAP

Schema and users paths are relative to the .map's folder and stay inside
the mapping's tree (the folder above it holding .git, else its own folder):
builds trees in a temporary folder and checks that absolute paths, `..`
that climbs out, symbolic links that lead out (a file, or a file inside a
schema folder) are refused with E0113 at the path, before anything is read,
while `..` and links that stay inside the tree are followed; a FIFO is
refused instead of blocking the check."""
import json
import os
import subprocess
import sys
import tempfile

bin_ = os.path.abspath(sys.argv[1])
failures = []
SCHEMA = {"format": "crmmap-schema/1", "system": "salesforce", "entity": "Contact",
          "fields": [{"name": "Email", "type": "email", "length": 80, "createable": True,
                      "updateable": True, "external_id": True}]}
SOURCE = {"format": "crmmap-schema/1", "system": "snapaddy", "entity": "lead",
          "fields": [{"name": "email", "type": "email", "length": 80}]}
BODY = 'entity Contact upsert by Email {\n  Email = email\n}\n'


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(data if isinstance(data, str) else json.dumps(data))


def check(name, tmp, map_rel, header, want):
    """want: list of (line, col, message start) of E0113 diagnostics; [] for a clean check."""
    map_path = os.path.join(tmp, map_rel)
    write(map_path, 'mapping "m"\n' + header + BODY)
    r = subprocess.run([bin_, "check", "--format", "json", os.path.basename(map_path)],
                       cwd=os.path.dirname(map_path), capture_output=True, timeout=60)
    diags = json.loads(r.stdout or b"[]")
    got = [(d["line"], d["col"], d["message"]) for d in diags]
    if len(got) != len(want) or any(g[:2] != w[:2] or not g[2].startswith(w[2]) for g, w in zip(got, want)):
        failures.append(f"{name}: got {got}, expected {want}")
    if any(d["code"] != "E0113" for d in diags):
        failures.append(f"{name}: codes {[d['code'] for d in diags]}")
    if r.returncode != (1 if want else 0):
        failures.append(f"{name}: exit {r.returncode}")
    for d in diags:
        # Nothing from an outside file may be echoed back.
        if "s3cr3t" in d["message"] or any("s3cr3t" in h for h in d["help"]):
            failures.append(f"{name}: echoes an outside file: {d}")


with tempfile.TemporaryDirectory() as tmp:
    # Outside every tree: a file a hostile mapping would like to read.
    write(os.path.join(tmp, "secret.json"), '{"s3cr3t-content": 1}')
    write(os.path.join(tmp, "plain/schemas/sf/Contact.json"), SCHEMA)
    write(os.path.join(tmp, "plain/schemas/lead.json"), SOURCE)
    ok_header = 'source s schema "schemas/lead.json"\ntarget salesforce schema "schemas/sf"\n'
    check("relative paths inside", tmp, "plain/m.map", ok_header, [])
    check("absolute path", tmp, "plain/abs.map",
          f'source s schema "{tmp}/plain/schemas/lead.json"\ntarget salesforce schema "schemas/sf"\n',
          [(2, 17, "'" + tmp + "/plain/schemas/lead.json' is an absolute path")])
    check("dot-dot escape", tmp, "plain/up.map",
          'source s schema "../secret.json"\ntarget salesforce schema "schemas/sf"\n',
          [(2, 17, "'../secret.json' leads outside the mapping's folder tree")])
    check("dot-dot escape from a schema folder", tmp, "plain/up2.map",
          'source s schema "schemas/lead.json"\ntarget salesforce schema "schemas/../.."\n',
          [(3, 26, "'schemas/../..' leads outside")])
    os.symlink("../secret.json", os.path.join(tmp, "plain/link.json"))
    check("symlink out", tmp, "plain/link.map",
          'source s schema "link.json"\ntarget salesforce schema "schemas/sf"\n',
          [(2, 17, "'link.json' leads outside")])
    os.makedirs(os.path.join(tmp, "plain/linked"))
    os.symlink("../../secret.json", os.path.join(tmp, "plain/linked/Account.json"))
    check("symlink out inside a schema folder", tmp, "plain/dir.map",
          'source s schema "schemas/lead.json"\ntarget salesforce schema "linked"\n',
          [(3, 26, "'linked/Account.json' leads outside")])
    os.symlink("schemas/lead.json", os.path.join(tmp, "plain/inner.json"))
    check("symlink inside", tmp, "plain/inner.map",
          'source s schema "inner.json"\ntarget salesforce schema "schemas/sf"\n', [])
    # compile and doc check first: the same refusal, nothing written.
    for cmd in (["compile", "up.map", "-o", "up.mapc"], ["doc", "up.map", "-o", "up.html"]):
        r = subprocess.run([bin_] + cmd, cwd=os.path.join(tmp, "plain"), capture_output=True, timeout=60)
        if (r.returncode != 1 or b"error[E0113]: '../secret.json' leads outside" not in r.stderr
                or os.path.exists(os.path.join(tmp, "plain", cmd[3]))):
            failures.append(f"{cmd[0]} of the dot-dot escape: exit {r.returncode}, {r.stderr[:300]!r}")
    # A link out behind more directory entries than the up-front scan looks at:
    # the loader's own check on the opened file refuses it.
    many = os.path.join(tmp, "plain/many")
    os.makedirs(many)
    for i in range(20000):
        open(os.path.join(many, f"x{i}.txt"), "w").close()
    for i in range(8):      # directory order is the file system's: some land past 10,001
        os.symlink("../../secret.json", os.path.join(many, f"Evil{i}.json"))
    write(os.path.join(tmp, "plain/many.map"), 'mapping "m"\nsource s schema "schemas/lead.json"\n'
          'target salesforce schema "many"\n' + BODY)
    r = subprocess.run([bin_, "check", "--format", "json", "many.map"], cwd=os.path.join(tmp, "plain"),
                       capture_output=True, timeout=60)
    diags = json.loads(r.stdout or b"[]")
    if r.returncode != 1 or not any(d["code"] == "E0113" and "leads outside" in d["message"] for d in diags) \
            or "s3cr3t" in r.stdout.decode():
        failures.append(f"links out among 20,000 entries: exit {r.returncode}, {diags}")
    # A FIFO would block a reader forever: refused, and the check ends.
    os.mkfifo(os.path.join(tmp, "plain/fifo.json"))
    check("fifo", tmp, "plain/fifo.map",
          'source s schema "fifo.json"\ntarget salesforce schema "schemas/sf"\n',
          [(2, 17, "cannot read schema file 'fifo.json': it is not a regular file")])
    # In a repository, `..` may climb up to the folder that holds .git.
    os.makedirs(os.path.join(tmp, "repo/.git"))
    write(os.path.join(tmp, "repo/schemas/sf/Contact.json"), SCHEMA)
    write(os.path.join(tmp, "repo/schemas/lead.json"), SOURCE)
    check("dot-dot inside a repository", tmp, "repo/maps/m.map",
          'source s schema "../schemas/lead.json"\ntarget salesforce schema "../schemas/sf"\n', [])
    check("dot-dot out of a repository", tmp, "repo/maps/out.map",
          'source s schema "../../secret.json"\ntarget salesforce schema "../schemas/sf"\n',
          [(2, 17, "'../../secret.json' leads outside")])

for f in failures:
    print("FAIL:", f)
print("ok" if not failures else f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
