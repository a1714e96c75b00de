#!/usr/bin/env python3
"""The Pipedrive example attaches files end to end (docs/files.md,
"Pipedrive", issue 16): examples/pipedrive/fair-leads.map over
examples/records/fair-leads.ndjson against tools/crmserver, which keeps
each upload's size and SHA-256. Pipedrive holds Lena Wagner as a person;
the others become leads. Each visitor's signature and both business-card
sides arrive byte for byte, linked to that visitor's person or lead; a
broken card side fails alone, the lead and the other files arriving. A
second run behaves as documented: `--resume` with the first run's journal
uploads nothing, a fresh run uploads every file again (keyless creates,
which `check` warns of). The first run goes with the drift check, which
has no field definitions of Pipedrive's files to compare.

Usage: test_example_files_pipedrive.py CRMMAP REPO_ROOT WORKDIR"""
import json
import os
import re
import subprocess
import sys

from runlib import admin, bundled_files, fresh, ndjson, records, reset, run, sha256_hex

crmmap, root, work = sys.argv[1:4]
c = fresh(work)
sample = os.path.join(root, "examples", "records", "fair-leads.ndjson")
mapping = os.path.join(root, "examples", "pipedrive", "fair-leads.map")
FAST = ["--rate", "1000/1"]     # Pipedrive's pace is not the local server's
HELD = "lena.wagner@example.at"
HELD_ID = 501


def seed():
    reset()
    admin("/__admin/records", {"system": "pipedrive", "table": "persons", "records": [
        {"id": HELD_ID, "name": "Lena Wagner", "emails": [{"value": HELD, "primary": True, "label": "work"}],
         "custom_fields": {}}]})


def emails(path):
    """{record number: the visitor's e-mail as the mapping writes it}"""
    with open(path, encoding="utf-8") as f:
        return {n: json.loads(line).get("email", "").strip().lower() for n, line in enumerate(f, 1)}


def expected(path, leave_out=()):
    """[(e-mail, 'person' or 'lead', file name, size, SHA-256)] a run of the
    export at path must leave, but for the (record, file name) left out."""
    mail = emails(path)
    return sorted((mail[n], "person" if mail[n] == HELD else "lead", name, len(data), sha256_hex(data))
                  for n, files in bundled_files(path).items() for name, data in files if (n, name) not in leave_out)


def attached():
    """The uploads as expected() names them: each by the e-mail of the
    person or lead (its title ends in <e-mail>) it is linked to."""
    person = {str(p["id"]): p["emails"][0]["value"] for p in records("pipedrive", "persons").values()}
    lead = {str(ld["id"]): re.search(r"<(.*)>$", ld["title"]).group(1) for ld in records("pipedrive", "leads").values()}
    out = []
    for f in records("pipedrive", "files").values():
        if f.get("person_id") and f.get("lead_id"):
            out.append(("both", "", f["name"], f["size"], f["sha256"]))
        elif f.get("person_id"):
            out.append((person.get(str(f["person_id"])), "person", f["name"], f["size"], f["sha256"]))
        else:
            out.append((lead.get(str(f.get("lead_id"))), "lead", f["name"], f["size"], f["sha256"]))
    return sorted(out)


def uploads():
    return admin("/__admin/state")["requests_by_path"].get("/v1/files", 0)


# ---- the bundled export: 8 files, each on its visitor's person or lead ----
want = expected(sample)
c.check(len(want) == 8 and [w[1] for w in want].count("person") == 3,
        "the bundled records carry 8 files, 3 of them the held person's: %s" % [w[:3] for w in want])
seed()
first_dir = os.path.join(work, "first")
os.makedirs(first_dir)
# Without --force: the drift check compares what Pipedrive describes and
# leaves the uploads out (there are no fileFields, docs/files.md).
first = run(crmmap, mapping, sample, first_dir, *FAST, force=False)
c.check(first.status == 3 and [(e["record"], e.get("code")) for e in first.errors] == [(4, "REJECTED")],
        "exit 3, only record 4 rejected: %s %s %s" % (first.status, first.errors, first.stderr[-300:]))
got = attached()
c.check(got == want, "the signature and both card sides on each visitor's person or lead, byte for byte: %s"
        % [g[:3] for g in got])
files = records("pipedrive", "files")
sent = uploads()
c.check(sent == 8, "one upload a file: %d" % sent)

# ---- a second run: --resume sends nothing twice; a fresh run uploads again ----
again = run(crmmap, mapping, sample, first_dir, *FAST, "--resume")
c.check(again.status == 3 and again.summary == first.summary, "--resume: as the first run: %s %s %s"
        % (again.summary, first.summary, again.stderr[-300:]))
c.check(uploads() == sent and records("pipedrive", "files") == files,
        "--resume uploads nothing again (%d uploads)" % uploads())
fresh_dir = os.path.join(work, "fresh")
os.makedirs(fresh_dir)
again = run(crmmap, mapping, sample, fresh_dir, *FAST)
c.check(again.status == 3 and again.summary == first.summary, "a fresh run: as the first: %s %s"
        % (again.summary, first.summary))
got = attached()
c.check(got == sorted(want + want), "a fresh run uploads each file again, on the same person or lead: %s"
        % [g[:3] for g in got])
warned = subprocess.run([crmmap, "check", mapping], capture_output=True, text=True)
c.check(warned.returncode == 0 and len(re.findall(r"W0204\]: `create` without a `key`: a retried run can create "
                                                  r"files twice", warned.stderr)) == 3
        and "help: files can carry no key: `run --resume` sends none twice" in warned.stderr,
        "check warns W0204 for each keyless upload: %s" % warned.stderr[-600:])

# ---- a broken card side fails alone: James's lead and signature arrive ----
with open(sample, encoding="utf-8") as f:
    recs = [json.loads(line) for line in f]
recs[1]["bcImage"] = "data:image/png;name=card-front.png;base64,iVBO!!!!"
broken_dir = os.path.join(work, "broken")
os.makedirs(broken_dir)
broken = ndjson(broken_dir, recs)
seed()
res = run(crmmap, mapping, broken, broken_dir, *FAST)
errs = sorted((e.get("record"), e.get("entity"), e.get("code")) for e in res.errors)
c.check(res.status == 3 and errs == [(2, "files", "MAPPING_ERROR"), (4, "persons", "REJECTED")],
        "exit 3, the broken file and record 4 fail: %s %s" % (res.status, errs))
got = attached()
c.check(got == expected(broken, leave_out={(2, "card-front.png")}),
        "every other file arrives on its person or lead, James's lead and signature too: %s" % [g[:3] for g in got])
c.exit()
