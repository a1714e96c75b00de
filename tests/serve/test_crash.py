#!/usr/bin/env python3
"""kill -9 of `crmmap serve` in the middle of a stream of webhooks, twice,
with slow CRM answers so that requests to the CRM are in flight: after each
restart on the same state directory, every record that was answered 202 is
in the CRM exactly once (contact and visit report), none is written twice,
and records posted again after the crash are recognised as duplicates or
taken as new — never doubled.

Usage: test_crash.py CRMMAP REPO_ROOT WORKDIR"""
import collections
import concurrent.futures
import os
import signal

from servelib import Serve, Stream, setup
import runlib

crmmap, root, work, c = setup()
mapping = os.path.join(root, "examples", "salesforce", "fair-leads.map")
state = os.path.join(work, "state")

# Some CRM answers come late (the write is applied after the delay), and some
# connections are reset after the write: a kill lands with writes in flight.
runlib.reset(faults=[{"kind": "timeout", "delay": 0.3, "count": 1000, "probability": 0.3},
                     {"kind": "reset_after", "count": 1000, "probability": 0.1}], seed=3)
accepted = set()
first = 1
for round_no, kill_at in enumerate((300, 500)):
    s = Serve(crmmap, mapping, state, "--batch-window-ms", "20", "--batch-size", "25")
    if round_no:
        print(s.stderr.strip().splitlines()[-1])
    stream = Stream(s, first)
    c.check(stream.wait_accepted(kill_at), "round %d: %d accepted" % (round_no + 1, kill_at))
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait()
    last = stream.stop()
    accepted |= stream.accepted
    print("round %d: %d of %d posted accepted before kill -9" % (round_no + 1, len(stream.accepted), last - first + 1))
    c.check(len(stream.accepted) < last - first + 1, "round %d: killed mid-stream" % (round_no + 1))
    first = last + 1
N = first - 1

# Restart: what was accepted goes out; then post everything again.
s = Serve(crmmap, mapping, state, "--batch-window-ms", "20")
print(s.stderr.strip().splitlines()[-1])
st = s.wait_sent(timeout=30)
c.check(st["queue"]["pending"] == 0, "after restart: inbox drained: %s" % st["queue"])
emails = collections.Counter(str(r.get("Email")).lower() for r in runlib.records("salesforce", "Contact").values())
for i in sorted(accepted):
    if emails.get("lead%07d@example.com" % i, 0) != 1:
        c.check(False, "accepted record %d on the server once, found %d" % (i, emails.get("lead%07d@example.com" % i, 0)))
        break
c.check(max(emails.values() or [1]) == 1, "no contact twice after the crashes")
with concurrent.futures.ThreadPoolExecutor(8) as pool:
    answers = collections.Counter(pool.map(lambda i: s.post("/records", runlib.lead(i))[0], range(1, N + 1)))
c.check(set(answers) <= {200, 202} and answers[200] >= len(accepted), "reposted: %s" % answers)
st = s.wait_sent(timeout=30)
emails = collections.Counter(str(r.get("Email")).lower() for r in runlib.records("salesforce", "Contact").values())
visits = collections.Counter(r.get("External_Id__c") for r in runlib.records("salesforce", "Visit_Report__c").values())
c.check(len(emails) == N and set(emails.values()) == {1}, "every contact once: %d, max %d"
        % (len(emails), max(emails.values())))
c.check(len(visits) == N and set(visits.values()) == {1}, "every visit report once: %d, max %d"
        % (len(visits), max(visits.values())))
c.check(s.stop() == 0, "exit 0")
c.exit()
