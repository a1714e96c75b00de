#!/usr/bin/env python3
"""Records are stored as received (issue 20, finding 8): the inbox keeps
each record's JSON text with only the whitespace between tokens removed,
and the duplicate key is computed on that text. cJSON's re-serialisation
cut a string at `\\u0000`, rounded integers above 2^53 and turned `1e400`
into null, so "n\\u0000evil" and "n\\u0000other", or 9007199254740993 and
9007199254740992, were answered "duplicate" and never sent; `1e400` is
now refused (422, the reader's "out of range") instead of being stored as
null. The CRM is down (a closed loopback port): nothing is sent.

Usage: test_lossless.py CRMMAP REPO_ROOT WORKDIR"""
import json
import os
import sqlite3

from servelib import Serve, setup
import runlib

crmmap, root, work, c = setup()
mapping = os.path.join(root, "examples", "salesforce", "fair-leads.map")
state = os.path.join(work, "state")
s = Serve(crmmap, mapping, state, "--url", "http://127.0.0.1:9", "--drain-ms", "0")
lead = runlib.lead(1)
lead.pop("visitreport", None)       # no report id: only the text makes a duplicate
base = json.dumps(lead)[:-1]
extras = [', "note": "n\\u0000evil"}', ', "note": "n\\u0000other"}', ', "big": 9007199254740993}',
          ', "big": 9007199254740992}', ', "price": 1.50}']
for extra in extras:
    st, body = s.post("/records", base + extra)
    c.check(st == 202, "%s: a new record (202), got %s %s" % (extra, st, body))
st, body = s.post("/records", base + ', "huge": 1e400}')
c.check(st == 422 and "out of range" in json.dumps(body), "1e400: refused, not stored as null: %s %s" % (st, body))
# The same record with other whitespace is a duplicate.
st, body = s.post("/records", (base + extras[0]).replace(", ", ",\n  "))
c.check(st == 200 and body["duplicates"] == 1, "whitespace only: a duplicate, got %s" % st)
st, body = s.post("/records/batch", "[" + base + extras[2] + ",\n" + base + ', "big": 9007199254740994}]')
c.check(st == 202 and body["accepted"] == 1 and body["duplicates"] == 1, "array batch: %s %s" % (st, body))
c.check(s.stop() == 0, "exit 0")
db = sqlite3.connect(os.path.join(state, "inbox.db"))
texts = [r[0] for r in db.execute("SELECT text FROM records ORDER BY id")]
db.close()
for want in ('"note":"n\\u0000evil"', '"note":"n\\u0000other"', '"big":9007199254740993', '"big":9007199254740992',
             '"price":1.50', '"big":9007199254740994'):
    c.check(any(t.endswith(want + "}") for t in texts), "stored as received: %s" % want)
c.check(len(texts) == 6, "6 records stored: %d" % len(texts))
c.exit()
