#!/usr/bin/env python3
"""Issue 20, finding 1, reproduced at full size against `crmmap serve`:
keyless creates (HubSpot notes, `create` without a key) accepted with 202,
serve killed with SIGKILL in the middle of sending them, restarted on the
same state directory. Prints how many records were accepted, how many were
in doubt (failed UNAVAILABLE in the error file), how many were lost (202
but not on the server) and how many were doubled. The server holds every
notes request DELAY seconds before applying it, so requests are in flight
when the kill lands (once two of them have arrived). With MARKER "marker", the connection names a
marker_field and the records in doubt are read back instead.

Run under tools/crmserver/with_server.py (as the ctest run/ tests are):
  with_server.py --token T -- python3 serve_kill_keyless.py CRMMAP ROOT CORPUS WORKDIR [N] [MARKER]
Takes about a minute for N = 2647."""
import collections
import json
import os
import shutil
import signal
import sqlite3
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "serve"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "run"))
from servelib import Serve, Stream  # noqa: E402
import runlib  # noqa: E402
import systems  # noqa: E402

crmmap, root, corpus, work = sys.argv[1:5]
n = int(sys.argv[5]) if len(sys.argv) > 5 else 2647
marker = len(sys.argv) > 6 and sys.argv[6] == "marker"
DELAY = 0.5
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
mapping = systems.get("hubspot_keyless", crmmap).mapping(root, work, corpus)
state = os.path.join(work, "state")
flags = []
if marker:
    config = os.path.join(work, "crm.json")
    with open(config, "w", encoding="utf-8") as f:
        json.dump({"marker_field": "crmmap_marker"}, f)
    flags = ["--config", config]

# As in the issue: the records are accepted while the CRM is away (a closed
# port), then serve restarts against the CRM and feeds them in rounds of up
# to 2,000; it is killed once two notes requests have reached the server.
s = Serve(crmmap, mapping, state, *flags, "--url", "http://127.0.0.1:9")
stream = Stream(s, 1, clients=8)
stream.wait_accepted(n, timeout=300)
stream.stop()
accepted = sorted(stream.accepted)
s.stop()
runlib.reset([{"kind": "timeout", "delay": DELAY, "count": 1000000, "path": "/objects/notes/batch/create"}])
s = Serve(crmmap, mapping, state, *flags)
deadline = time.time() + 120
while time.time() < deadline and runlib.admin("/__admin/state")["faults_fired"].get("timeout", 0) < 2:
    time.sleep(0.02)
s.proc.send_signal(signal.SIGKILL)
s.proc.wait()
time.sleep(2 * DELAY)       # the requests held when serve died are applied
on_server_at_kill = len(runlib.records("hubspot", "notes"))
db = sqlite3.connect(os.path.join(state, "journal.db"))
sending = db.execute("SELECT count(*) FROM entries WHERE state = 1").fetchone()[0]     # J_SENDING
db.close()
runlib.admin("/__admin/faults", {"seed": 1, "faults": []})
s = Serve(crmmap, mapping, state, *flags)
st = s.wait_sent(timeout=300)
s.stop()
errors = []
path = os.path.join(state, "errors.ndjson")
if os.path.exists(path):
    with open(path, encoding="utf-8") as f:
        errors = [json.loads(line) for line in f if line.strip()]
doubt = [e for e in errors if e.get("code") == "UNAVAILABLE"]
notes = collections.Counter(r["properties"]["hs_note_body"].split()[1]
                            for r in runlib.records("hubspot", "notes").values())
lost = [i for i in accepted if notes.get("vr-%d" % i, 0) == 0]
doubled = [k for k, v in notes.items() if v > 1]
print("accepted %d (202), on the server at the kill %d, journaled as sending at the kill %d, pending after the "
      "restart %d" % (len(accepted), on_server_at_kill, sending, st["queue"]["pending"]))
print("in doubt (UNAVAILABLE): %d, of them on the server: %d" % (len(doubt), sum(
    1 for e in doubt if notes.get(e["input"]["visitreport"]["id"], 0) > 0)))
print("lost (202, not on the server): %d; doubled: %d; other error lines: %d"
      % (len(lost), len(doubled), len(errors) - len(doubt)))
