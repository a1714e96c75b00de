#!/usr/bin/env python3
"""Pacing by the CRM's rate-limit headers (docs/run.md, "Pacing by the
CRM's headers"), against the local server's budgets (tools/crmserver/budget.py).
Nothing here measures time: the server counts the requests each window
held and the requests it refused.

HubSpot: a budget of 190 requests per 10 s, stated in X-HubSpot-RateLimit-*;
a run at the default pace (no --rate) draws no 429 and puts more than the
old fixed 90 into one window. Dataverse: a burst budget of 30 requests per
2 s; a run whose own window is far larger (--rate 5000/2) waits when
x-ms-ratelimit-burst-remaining-xrm-requests nears 0: no 429, and more
requests than one window takes. Salesforce: a daily quota of 30 in
Sforce-Limit-Info; the run warns once that it is low, and ends as usual.
plan --budget with a connection: the quota share for HubSpot (daily
headers of one GET) and Dataverse (the 5-minute limits in words), against
golden files in pacing/.
Usage: test_pacing.py CRMMAP ROOT WORKDIR"""
import os
import subprocess
import sys

import runlib
import systems
from runlib import admin

crmmap, root, work = sys.argv[1], sys.argv[2], sys.argv[3]
corpus = os.path.join(root, "tests", "corpus")
golden = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pacing")
c = runlib.fresh(work)
leads = os.path.join(work, "leads.ndjson")
runlib.write_leads(leads, 40, bad_every=0)
hs_leads = os.path.join(work, "hs_leads.ndjson")
runlib.write_leads(hs_leads, 70, bad_every=0)


def budget(spec, daily=None):
    runlib.reset()
    body = {"faults": [], "budget": spec}
    if daily:
        body["daily"] = daily
    admin("/__admin/faults", body)


def setup(name):
    s = systems.get(name, crmmap)
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    return s, s.mapping(root, d, corpus), d, (s.config(d) if hasattr(s, "config") else None)


def plan(s, mapping, cfg):
    conn = ["--config", cfg] if cfg else ["--url", runlib.URL, "--token-env", "CRM_TOKEN"]
    return subprocess.run([crmmap, "plan", mapping, "--input", leads, "--budget", "--plain-http"] + conn,
                          capture_output=True, text=True, env=dict(os.environ, CRM_TOKEN="T", CRM_SECRET="shh"))


def same_as_golden(name, text):
    with open(os.path.join(golden, name), encoding="utf-8") as f:
        want = f.read()
    with open(os.path.join(work, name), "w", encoding="utf-8") as f:
        f.write(text)   # to compare, or to update the golden file with
    c.check(text == want, "%s: plan --budget as the golden file\n--- got\n%s--- want\n%s" % (name, text, want))


# HubSpot: two requests a lead (--batch-size 1), about 140 in all.
s, mapping, d, cfg = setup("hubspot")
budget({"hubspot": {"max": 190, "interval_ms": 10000, "daily": 250000}})
r = runlib.run(crmmap, mapping, hs_leads, d, "--batch-size", "1")
st = admin("/__admin/state")
hs = st["budget"]["hubspot"]
print("hubspot: %d requests, at most %d in one 10 s window, %d refused (exit %d)"
      % (st["requests"], hs["peak"], hs["refused"], r.status), flush=True)
c.check(r.status == 0, "hubspot: the run ended cleanly (exit %d): %s" % (r.status, r.stderr[-400:]))
c.check(hs["refused"] == 0, "hubspot: no request was refused (%d 429s)" % hs["refused"])
c.check(hs["peak"] > 90, "hubspot: a window held more than the old fixed 90 (%d)" % hs["peak"])

budget({"hubspot": {"max": 190, "interval_ms": 10000, "daily": 250000}})
p = plan(s, mapping, cfg)
c.check(p.returncode == 0, "hubspot: plan --budget (exit %d): %s" % (p.returncode, p.stderr))
same_as_golden("plan_hubspot.txt", p.stdout)

# Dataverse: its headers state no window; --rate sets the one crmmap waits.
s, mapping, d, cfg = setup("dynamics")
budget({"dynamics": {"requests": 30, "window": 2, "time": 1200}})
r = runlib.run(crmmap, mapping, leads, d, "--batch-size", "1", "--rate", "5000/2", config=cfg)
st = admin("/__admin/state")
dv = st["budget"]["dynamics"]
print("dynamics: %d requests, at most %d in one 2 s window, %d refused (exit %d)"
      % (st["requests"], dv["peak"], dv["refused"], r.status), flush=True)
c.check(r.status == 0, "dynamics: the run ended cleanly (exit %d): %s" % (r.status, r.stderr[-400:]))
c.check(dv["refused"] == 0, "dynamics: no request was refused (%d 429s)" % dv["refused"])
c.check(st["requests"] > 2 * 30, "dynamics: the run took more than two windows' budget (%d requests), "
        "so it waited" % st["requests"])

budget({"dynamics": {"requests": 10, "window": 300, "time": 1200}})
p = plan(s, mapping, cfg)
c.check(p.returncode == 0, "dynamics: plan --budget (exit %d): %s" % (p.returncode, p.stderr))
same_as_golden("plan_dynamics.txt", p.stdout)

# Salesforce: 30 a day, crossed during the run.
s, mapping, d, cfg = setup("salesforce")
budget({}, daily=30)
r = runlib.run(crmmap, mapping, leads, d, "--batch-size", "2", "--bulk", "off")
warnings = [l for l in r.stderr.splitlines() if "daily API requests are left" in l]
print("salesforce: %d requests; %s" % (admin("/__admin/state")["requests"], warnings), flush=True)
c.check(r.status == 0, "salesforce: the run ended cleanly (exit %d): %s" % (r.status, r.stderr[-400:]))
c.check(len(warnings) == 1 and "salesforce says" in warnings[0] and "help:" in r.stderr,
        "salesforce: one warning that the org's quota is low, with a help: %s" % r.stderr)
c.exit()
