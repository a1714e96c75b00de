#!/usr/bin/env python3
"""`crmmap serve --retain`: a record sent to the CRM is still recognised as
a duplicate within the retention and is pruned after it (inbox row and
journal entries), so a redelivery after that is new; record numbers never
repeat; pending records are never pruned, however old (a CRM outage longer
than the retention); the state files stop growing once the retention
prunes as much as comes in; /status shows the counts.

Usage: test_retain.py CRMMAP REPO_ROOT WORKDIR"""
import json
import os
import sqlite3
import time

from servelib import Serve, setup
import runlib

crmmap, root, work, c = setup()
mapping = os.path.join(root, "examples", "salesforce", "fair-leads.map")
state = os.path.join(work, "state")
RETAIN = 1

runlib.reset()
s = Serve(crmmap, mapping, state, "--retain", "%ds" % RETAIN, "--batch-window-ms", "20")


def lead(i):
    return runlib.lead(i, visit=False)


def wait(cond, timeout=15):
    deadline = time.time() + timeout
    st = s.status()
    while not cond(st) and time.time() < deadline:
        time.sleep(0.1)
        st = s.status()
    return st


def journal_records():
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(state, "journal.db"), uri=True)
    try:
        return {r for (r,) in db.execute("SELECT DISTINCT record FROM entries")}
    finally:
        db.close()


def db_bytes(name):
    """The database's size as SQLite sees it (WAL included): what the file
    holds once checkpointed."""
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(state, name), uri=True)
    try:
        return db.execute("PRAGMA page_count").fetchone()[0] * db.execute("PRAGMA page_size").fetchone()[0]
    finally:
        db.close()


def state_bytes():
    """Once the vacuum after the last pruning step is through (the sizes
    hold still for half a second)."""
    last, deadline = None, time.time() + 5
    while time.time() < deadline:
        now = {name: db_bytes(name) for name in ("inbox.db", "journal.db")}
        if now == last:
            break
        last = now
        time.sleep(0.5)
    return last


st, body = s.post("/records", lead(1))
first_id = body["records"][0]["id"] if st == 202 else None
c.check(st == 202, "lead 1 accepted: %s %s" % (st, body))
st = s.wait_sent()
c.check(st["retention"]["retain_s"] == RETAIN and st["retention"]["kept"] == 1, "kept once sent: %s" % st["retention"])
# Within the retention a redelivery is a duplicate.
c.check(s.post("/records", lead(1))[0] == 200, "a duplicate within the retention")

# Batches of new records, each sent and, RETAIN seconds later, pruned: the
# files stop growing once the retention removes what comes in.
sizes, ids = [], [first_id]
for r in range(3):
    nd = "\n".join(json.dumps(lead(1000 * (r + 1) + i)) for i in range(400)) + "\n"
    st, body = s.post("/records/batch", nd)
    c.check(st == 202 and body["accepted"] == 400, "round %d accepted: %s" % (r, st))
    ids += [x["id"] for x in body["records"]]
    st = wait(lambda st: st["retention"]["kept"] <= 1 and st["queue"]["pending"] == 0, timeout=RETAIN + 10)
    sizes.append(state_bytes())
c.check(st["retention"]["kept"] == 1, "all but the newest row pruned: %s" % st["retention"])
c.check(st["retention"]["pruned"] == 1200, "1,200 rows pruned: %s" % st["retention"])
c.check(st["retention"]["steps"] >= 2 and 0 < st["retention"]["step_max_ms"] < 1000, "pruned in steps: %s"
        % st["retention"])
c.check(ids == sorted(ids) and len(set(ids)) == len(ids), "record numbers increase, never repeat")
totals = [sum(x.values()) for x in sizes]
c.check(max(totals[1:]) <= totals[0], "the databases stop growing: %s bytes after each round" % sizes)
wal = max(os.path.getsize(os.path.join(state, f)) for f in os.listdir(state) if f.endswith("-wal"))
c.check(wal <= 8 << 20, "WAL files within 8 MiB: %d bytes" % wal)
c.check(journal_records() == {max(ids)}, "the journal kept only the newest record's entries")
print("state bytes after each round: %s; prune steps %d, the longest adding %.2f ms to a commit" % (
    totals, st["retention"]["steps"], st["retention"]["step_max_ms"]))

# After the retention, a redelivery of lead 1 is new again (and the CRM
# upsert by e-mail makes it harmless), numbered after everything before.
st, body = s.post("/records", lead(1))
c.check(st == 202 and body["records"][0]["id"] > max(ids), "after the retention: new, a new number: %s %s" % (st, body))

# Pending records are never pruned: during a CRM outage longer than the
# retention they stay, and go out once the CRM is back.
s.wait_sent()
runlib.admin("/__admin/faults", {"seed": 1, "faults": [{"kind": "503", "count": 100000, "probability": 1.0}]})
for i in range(20):
    s.post("/records", lead(9000 + i))
st = wait(lambda st: st["crm"]["last_error"] is not None)
time.sleep(RETAIN + 1.5)
st = s.status()
c.check(st["queue"]["pending"] == 20, "outage: 20 records pending after the retention: %s" % st["queue"])
runlib.admin("/__admin/faults", {"seed": 1, "faults": []})
st = s.wait_sent(timeout=90)
c.check(st["queue"]["pending"] == 0, "after the outage: all sent: %s" % st["queue"])
people = {str(r.get("Email")).lower() for r in runlib.records("salesforce", "Contact").values()}
c.check(all("lead%07d@example.com" % (9000 + i) in people for i in range(20)), "the 20 records are in the CRM")
c.check(s.stop() == 0, "SIGTERM: exit 0")

# A bad --retain is a usage error.
bad = os.popen("'%s' serve '%s' --listen 127.0.0.1:0 --plain-http --auth-env X --retain 7w 2>&1; echo rc=$?"
               % (crmmap, mapping)).read()
c.check("--retain '7w'" in bad and "rc=2" in bad, "bad --retain: %s" % bad[-200:])
c.exit()
