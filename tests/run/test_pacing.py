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
requests than one window takes. Pipedrive: a token of 8 requests per 2 s
in x-ratelimit-limit and -remaining, below the default pace of 20: the
run waits, no 429. Salesforce: a daily quota of 30 in
Sforce-Limit-Info; the run warns once that it is low, and ends as usual.
plan --budget with a connection: the quota share for HubSpot (daily
headers of one GET) and Dataverse (the 5-minute limits in words), against
golden files in pacing/.
Usage: test_pacing.py CRMMAP ROOT WORKDIR"""
import json
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


def plan_as_golden(mapping, cfg, name):
    """plan --budget with a connection, its stdout as the golden file name."""
    conn = ["--config", cfg] if cfg else ["--url", runlib.URL, "--token-env", "CRM_TOKEN"]
    p = subprocess.run([crmmap, "plan", mapping, "--input", leads, "--budget", "--plain-http"] + conn,
                       capture_output=True, text=True, env=dict(os.environ, CRM_TOKEN="T", CRM_SECRET="shh"))
    c.check(p.returncode == 0, "%s: plan --budget (exit %d): %s" % (name, p.returncode, p.stderr))
    with open(os.path.join(golden, name), encoding="utf-8") as f:
        want = f.read()
    with open(os.path.join(work, name), "w", encoding="utf-8") as f:
        f.write(p.stdout)   # to compare, or to update the golden file with
    c.check(p.stdout == want, "%s: plan --budget as the golden file\n--- got\n%s--- want\n%s" % (name, p.stdout, want))


def paced_run(name, mapping, inp, d, cfg, window, flags):
    """A run of one request a record; the server's counts of it."""
    r = runlib.run(crmmap, mapping, inp, d, "--batch-size", "1", *flags, config=cfg)
    st = admin("/__admin/state")
    b = st["budget"][name]
    print("%s: %d requests, at most %d in one %s window, %d refused (exit %d)"
          % (name, st["requests"], b["peak"], window, b["refused"], r.status), flush=True)
    c.check(r.status == 0, "%s: the run ended cleanly (exit %d): %s" % (name, r.status, r.stderr[-400:]))
    c.check(b["refused"] == 0, "%s: no request was refused (%d 429s)" % (name, b["refused"]))
    return r, st, b


# HubSpot: two requests a lead (--batch-size 1), about 140 in all.
s, mapping, d, cfg = setup("hubspot")
budget({"hubspot": {"max": 190, "interval_ms": 10000, "daily": 250000}})
r, st, hs = paced_run("hubspot", mapping, hs_leads, d, cfg, "10 s", [])
c.check(hs["peak"] > 90, "hubspot: a window held more than the old fixed 90 (%d)" % hs["peak"])

budget({"hubspot": {"max": 190, "interval_ms": 10000, "daily": 250000}})
plan_as_golden(mapping, cfg, "plan_hubspot.txt")

# Dataverse: its headers state no window; --rate sets the one crmmap waits.
s, mapping, d, cfg = setup("dynamics")
budget({"dynamics": {"requests": 30, "window": 2, "time": 1200}})
r, st, dv = paced_run("dynamics", mapping, leads, d, cfg, "2 s", ["--rate", "5000/2"])
c.check(st["requests"] > 2 * 30, "dynamics: the run took more than two windows' budget (%d requests), "
        "so it waited" % st["requests"])

budget({"dynamics": {"requests": 10, "window": 300, "time": 1200}})
plan_as_golden(mapping, cfg, "plan_dynamics.txt")

# Pipedrive: a token of 8 requests per 2 s, below the default pace of 20, stated in x-ratelimit-*.
pd_leads = os.path.join(work, "pd_leads.ndjson")
with open(pd_leads, "w", encoding="utf-8") as f:
    for i in range(1, 11):
        f.write(json.dumps(dict(runlib.lead(i), organization="Org %d" % (i % 3))) + "\n")
d = os.path.join(work, "pipedrive")
os.makedirs(d, exist_ok=True)
budget({"pipedrive": {"max": 8, "window": 2}})
r, st, pd = paced_run("pipedrive", os.path.join(root, "examples", "pipedrive", "fair-leads.map"), pd_leads, d, None,
                      "2 s", [])
c.check(st["requests"] > 2 * 8, "pipedrive: the run took more than two windows' budget (%d requests), so it waited"
        % st["requests"])

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
