#!/usr/bin/env python3
"""SIGTERM and SIGINT in the middle of a stream of webhooks: `crmmap serve`
stops accepting, answers the requests under way, drains or journals what
it was sending and exits 0; every record answered 202 is in the CRM once
(after the next start for what was still pending).

Usage: test_sigterm.py CRMMAP REPO_ROOT WORKDIR"""
import collections
import os
import signal
import time

from servelib import Serve, Stream, setup
import runlib

crmmap, root, work, c = setup()
mapping = os.path.join(root, "examples", "salesforce", "fair-leads.map")
state = os.path.join(work, "state")
runlib.reset(faults=[{"kind": "timeout", "delay": 0.2, "count": 1000, "probability": 0.3}], seed=5)
accepted = set()
first = 1

for round_no, sig in enumerate((signal.SIGTERM, signal.SIGINT)):
    # A short drain the second time: what is left waits for the next start.
    s = Serve(crmmap, mapping, state, "--batch-window-ms", "20", "--drain-ms", "5000" if round_no == 0 else "0")
    stream = Stream(s, first)
    c.check(stream.wait_accepted(300), "%s: 300 accepted before it" % sig.name)
    t0 = time.time()
    code = s.stop(sig)
    last = stream.stop()
    accepted |= stream.accepted
    print("round %d: %d of %d posted accepted, stopped in %.1f s"
          % (round_no + 1, len(stream.accepted), last - first + 1, time.time() - t0))
    c.check(code == 0, "%s: exit 0, got %s; serve said:\n%s" % (sig.name, code, s.stderr[-2000:]))
    c.check(len(stream.accepted) < last - first + 1, "%s arrived mid-stream" % sig.name)
    c.check("%s: stopping" % sig.name in s.stderr and "stopped;" in s.stderr, "%s messages" % sig.name)
    c.check("ERROR: AddressSanitizer" not in s.stderr and "runtime error" not in s.stderr, "clean exit")
    first = last + 1

s = Serve(crmmap, mapping, state)
st = s.wait_sent(timeout=30)
c.check(st["queue"]["pending"] == 0, "next start sent the rest: %s" % st["queue"])
emails = collections.Counter(str(r.get("Email")).lower() for r in runlib.records("salesforce", "Contact").values())
missing = [i for i in accepted if emails.get("lead%07d@example.com" % i) != 1]
c.check(not missing, "every accepted record once; missing or doubled: %s" % missing[:5])
c.check(max(emails.values()) == 1, "no contact twice")
c.check(s.stop() == 0, "exit 0")
c.exit()
