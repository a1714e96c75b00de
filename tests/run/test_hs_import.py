#!/usr/bin/env python3
"""`crmmap run --bulk` against the local server's HubSpot imports API
(docs/run.md, "Bulk jobs"): the contacts (upserts by e-mail) go as one
import, their notes by the batch API linked to the ids the import's
contacts were read back by; the server ends holding exactly what the
batch path leaves, with the same summary and error lines (record, entity,
field, map_line); `auto` takes the import from the threshold on; an import
that FAILED half-way and polls answered 503 end the same; kill -9 while the
upload and the errors are under way and at random moments, then --resume:
one import, never uploaded twice, no key twice, nothing lost.

Usage: test_hs_import.py CRMMAP REPO_ROOT WORKDIR N"""
import os
import sys

import runlib
import systems
from runlib import reset, run

BULK = ["--bulk", "on", "--bulk-poll-ms", "10"] + systems.HubSpot.flags


def imports():
    st = runlib.admin("/__admin/state")
    return st["requests_by_path"].get("/crm/v3/imports", 0), st


def main():
    crmmap, root, work, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    c = runlib.Checks()
    s, inp, mapc, want_summary = systems.load_setup("hubspot", crmmap, root, work, n)
    key = lambda e: (e["record"], e["entity"], e.get("field"), e.get("map_line"))

    def fresh(name):
        d = os.path.join(work, name)
        os.makedirs(d)
        return d

    reset()
    ref = run(crmmap, mapc, inp, fresh("batch"), "--bulk", "off", *systems.HubSpot.flags)
    want = s.snapshot()
    c.check(ref.summary == want_summary and imports()[0] == 0, "batch run: %s" % (ref.summary,))

    reset()
    got = run(crmmap, mapc, inp, fresh("import"), *BULK)
    made, st = imports()
    snap = s.snapshot()
    c.check(got.status == 3 and got.summary == want_summary, "import run: exit %d %s %s"
            % (got.status, got.summary, got.stderr[-300:]))
    c.check(made == 1, "one import for the contacts: %d" % made)
    upserts = st["requests_by_path"].get("/crm/v3/objects/contacts/batch/upsert", 0)
    c.check(upserts == 0, "no contacts batch upserts: %d" % upserts)
    c.check(snap.parents == want.parents and snap.children == want.children and snap.links == want.links
            and snap.dups == 0, "the import leaves what the batch API leaves")
    c.check(sorted(map(key, got.errors)) == sorted(map(key, ref.errors)),
            "the same error lines (record, entity, field, map_line): %s vs %s"
            % ([key(e) for e in got.errors[:2]], [key(e) for e in ref.errors[:2]]))
    c.check(all(e["code"] == "INVALID_EMAIL" for e in got.errors if e["entity"] == "contacts"),
            "the import's errorType as code: %s" % [e["code"] for e in got.errors[:2]])

    for label, flags, expect in (("auto over the threshold", ["--bulk-threshold", str(n // 2)], 1),
                                 ("auto under the threshold", [], 0)):
        reset()
        r = run(crmmap, mapc, inp, fresh(label.replace(" ", "_")), "--bulk-poll-ms", "10", *flags,
                *systems.HubSpot.flags)
        c.check(r.summary == want_summary and imports()[0] == expect, "%s: %s, %d imports"
                % (label, r.summary, imports()[0]))

    systems.check_under_faults(
        c, s, (("an import that fails half-way", [{"kind": "import_failed", "path": "/crm/v3/imports/"}]),
               ("polls answered 503", [{"kind": "503", "path": "/crm/v3/imports/", "skip": 1, "count": 3}])),
        lambda label: run(crmmap, mapc, inp, fresh(label.replace(" ", "_")), *BULK), want, want_summary)

    runlib.kill_and_resume(c, s, crmmap, mapc, inp, os.path.join(work, "killed"), BULK, ("/crm/v3/imports", "/errors"),
                           want, want_summary, "the batch API")
    made = runlib.admin("/__admin/state")["hs_imports"]
    c.check(len(made) == 1 and sum(i["rows"] for i in made.values()) == n,
            "one import, uploaded once: %s" % sorted((i["state"], i["rows"]) for i in made.values()))
    c.exit()


if __name__ == "__main__":
    main()
