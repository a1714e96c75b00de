#!/usr/bin/env python3
"""Dataverse's bulk operation messages through `crmmap run` (docs/run.md,
"Dataverse CreateMultiple and UpsertMultiple"): N leads (every 97th with an
e-mail address over Dataverse's MaxLength) as an account upserted by its
alternate key and a contact linked to it (tests/run/maps/faults/dynamics.map),
then contacts with visit reports created without a key
(dynamics_visit.map), against tools/crmserver:

  - every table takes the messages: accounts and contacts go as
    UpsertMultiple, the visit reports as CreateMultiple; each table and
    message asked about once (sdkmessagefilters); a set holding a refused
    account is refused whole and goes again as one $batch, where only the bad
    accounts fail; each contact is bound to its account by the account's
    alternate key (UpsertMultiple answers no ids);
  - a table that takes none (the server's dyn_no_multiple): its records go
    as $batch, the others' still as UpsertMultiple, the same outcome.

Usage: test_dv_multiple.py CRMMAP REPO_ROOT WORKDIR N"""
import os
import sys

import runlib
import systems
from runlib import admin, reset, run

API = "/api/data/v9.2/"


def calls(path):
    return admin("/__admin/state")["requests_by_path"].get(API + path, 0)


def load(c, s, mapping, inp, work, n, label, want_batch, want_multiple):
    res = run(s.crmmap, mapping, inp, work, timeout=600)
    bad = systems.bad_leads(n)
    want = (2 * n, 2 * n - 2 * len(bad), len(bad), len(bad))
    c.check(res.summary == want, "%s: summary %s, want %s: %s" % (label, res.summary, want, res.stderr[-400:]))
    snap = s.snapshot()
    c.check(snap.dups == 0 and len(snap.parents) == n - len(bad) and len(snap.children) == n - len(bad),
            "%s: %d %s, %d %s, %d duplicates on the server" % (label, len(snap.parents), s.labels[0],
                                                              len(snap.children), s.labels[1], snap.dups))
    c.check(s.linked_right(snap), "%s: every %s linked to its own %s" % (label, s.child, s.parent))
    refused = sorted(e["record"] for e in res.errors)
    c.check(refused == bad, "%s: the error file holds exactly the refused %s (%s)" % (label, s.parent, refused[:5]))
    got_batch = calls("$batch")
    c.check(got_batch == want_batch, "%s: %d $batch requests, want %d" % (label, got_batch, want_batch))
    for path, k in want_multiple.items():
        got = calls(path)
        c.check(got == k, "%s: %d POST %s, want %d" % (label, got, path, k))
    asked = calls("sdkmessagefilters")
    c.check(asked == 2, "%s: sdkmessagefilters asked %d times, want once per table" % (label, asked))
    print("%s: %s, %d $batch, %s" % (label, res.summary, got_batch,
                                     ", ".join("%s %d" % (p.split(".")[-1], calls(p)) for p in want_multiple)))


def main():
    crmmap, root, work, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    c = runlib.fresh(work)
    inp = os.path.join(work, "leads.ndjson")
    runlib.write_leads(inp, n)
    up = "Microsoft.Dynamics.CRM.UpsertMultiple"
    s = systems.get("dynamics", crmmap)
    mapping = s.mapping(root, work, None)
    sets = (n + 999) // 1000
    # One set of accounts holds the bad ones (n <= 1000): refused whole, then one $batch.
    reset()
    load(c, s, mapping, inp, work, n, "upsert", 1, {"accounts/" + up: sets, "contacts/" + up: sets})
    reset()
    admin("/__admin/faults", {"faults": [], "dyn_no_multiple": ["account"]})
    load(c, s, mapping, inp, work, n, "accounts without UpsertMultiple", sets,
         {"accounts/" + up: 0, "contacts/" + up: sets})
    v = systems.get("dynamics_visit", crmmap)
    reset()
    load(c, v, v.mapping(root, work, None), inp, work, n, "create", 1,
         {"contacts/" + up: sets, "new_visitreports/Microsoft.Dynamics.CRM.CreateMultiple": sets})
    c.exit()


if __name__ == "__main__":
    main()
