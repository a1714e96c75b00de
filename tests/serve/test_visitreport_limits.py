#!/usr/bin/env python3
"""Hostile VisitReport bodies (issue 20, findings 4 and 5), with the CRM
down (nothing is sent; no CRM server needed):
1. Expansion: every optionIds reference copied the option's value, so a
   small body could ask for gigabytes (1 MB referencing a 1 MiB value 3,000
   times took serve down). Here a 64 KiB value referenced 2,000 times in a
   ~150 KB body (128 MB of records) is answered 413 with a message naming
   the limit, and serve still answers.
2. Time: 15,000 questions answered in one report (~1 MB) cost quadratic
   CPU (30,000 took 19.8 s). The request's CPU time in serve (from
   /proc, so the figure holds on a loaded machine) must stay under 1.5 s;
   it scales linearly now.

Usage: test_visitreport_limits.py CRMMAP REPO_ROOT WORKDIR"""
import json
import os
import time

from servelib import Serve, setup

crmmap, root, work, c = setup()
mapping = os.path.join(root, "examples", "salesforce", "fair-leads.map")
DOWN = "http://127.0.0.1:9"
s = Serve(crmmap, mapping, os.path.join(work, "state"), "--url", DOWN, "--drain-ms", "0", "--max-body", "2M")
contact = {"firstName": "Eva", "lastName": "Muster", "email": "eva@example.com", "country": "DE"}


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


big = {"questionnaire": {"id": "qn"},
       "questions": [{"id": "Q1", "mappingId": "q_products", "type": "multiselect",
                      "options": [{"id": "O1", "value": "v" * 65536}]}],
       "reports": [{"id": "r1", "contact": contact,
                    "answers": [{"questionId": "Q1", "optionIds": ["O1"] * 2000}]}]}
body = json.dumps(big)
st, answer = s.post("/visitreports", body)
print("expansion: %d-byte body asking for %d MB of records: %s %s"
      % (len(body), 2000 * 65536 // 10**6, st, answer))
c.check(st == 413 and answer["error"] == "too_large" and "records" in answer["message"],
        "413 for the expansion: %s %s" % (st, answer))
c.check(s.request("GET", "/healthz", auth=None)[0] == 200, "serve still answers")

n = 15000
wide = {"questionnaire": {"id": "qn"},
        "questions": [{"id": "Q%d" % i, "mappingId": "q%d" % i, "type": "text"} for i in range(n)],
        "reports": [{"id": "r2", "contact": contact,
                     "answers": [{"questionId": "Q%d" % i, "value": "a%d" % i} for i in range(n)]}]}
body = json.dumps(wide)
before, t0 = cpu_s(s.proc.pid), time.time()
st, answer = s.post("/visitreports", body)
cpu = cpu_s(s.proc.pid) - before
print("%d answers in one report (%d bytes): %s in %.2f s CPU (%.2f s wall)"
      % (n, len(body), st, cpu, time.time() - t0))
c.check(st == 202 and answer["accepted"] == 1, "the wide report is accepted: %s %s" % (st, answer))
c.check(cpu < 1.5, "linear: %.2f s CPU for %d answers" % (cpu, n))
c.check(s.stop() == 0, "exit 0")
c.exit()
