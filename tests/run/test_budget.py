#!/usr/bin/env python3
"""The API budget (docs/run.md, "The API budget"): for each CRM of
systems.py (Salesforce through sObject Collections and through Bulk API
2.0, HubSpot, Dynamics) `run --dry-run --budget` estimates the calls a run
of N leads makes, and the run against the local server makes that many,
within 10% (the server counts every request it receives). Then --max-calls:
below the estimate the run is refused (exit 2) and nothing reaches the
server; at the estimate, with 429s on a fifth of the requests, the retries
push the calls past it and the run stops (exit 4), and --resume sends the
rest: every lead once, as a clean run leaves them.
Usage: test_budget.py CRMMAP ROOT WORKDIR N"""
import os
import re
import subprocess
import sys

import runlib
import systems
from runlib import admin, reset

crmmap, root, work, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
corpus = os.path.join(root, "tests", "corpus")
c = runlib.fresh(work)
leads = os.path.join(work, "leads.ndjson")
runlib.write_leads(leads, n)
# HubSpot refuses a batch whole for one bad address and crmmap halves it
# until the bad one is alone: a cost no estimate can see beforehand (docs/run.md).
clean_leads = os.path.join(work, "clean.ndjson")
runlib.write_leads(clean_leads, n, bad_every=0)
inp = leads
TOTAL = re.compile(r"^  total: (\d+) calls$", re.M)


def where(s, sub):
    d = os.path.join(work, sub)
    os.makedirs(d, exist_ok=True)
    cfg = s.config(d) if hasattr(s, "config") else None
    return d, cfg


def estimate(s, mapping, cfg, flags):
    conn = ["--config", cfg] if cfg else []
    p = subprocess.run([crmmap, "run", mapping, "--input", inp, "--dry-run", "--budget", "--force"] + conn + flags,
                       capture_output=True, text=True)
    m = TOTAL.search(p.stdout)
    c.check(p.returncode == 0 and m, "%s: the estimate printed (exit %d): %s%s" % (s.name, p.returncode, p.stdout,
                                                                                    p.stderr))
    return int(m.group(1)) if m else 0, p.stdout


def tokens(cfg):
    # An OAuth connection fetches its token first: the estimate of a dry
    # run, which connects to nothing, does not count it.
    return 1 if cfg else 0


for name, flags in (("salesforce", ["--bulk", "off"]), ("salesforce", ["--bulk", "on"]), ("hubspot", []),
                    ("hubspot", ["--bulk", "on"]), ("dynamics", [])):
    s = systems.get(name, crmmap)
    inp = clean_leads if name == "hubspot" else leads
    d, cfg = where(s, name + "".join(flags).replace("-", ""))
    mapping = s.mapping(root, d, corpus)
    flags = s.flags + flags
    est, text = estimate(s, mapping, cfg, flags)
    reset()
    r = runlib.run(crmmap, mapping, inp, d, *flags, config=cfg)
    actual = admin("/__admin/state")["requests"] - tokens(cfg)
    print("%s %s: estimate %d calls, the run made %d (exit %d)" % (name, " ".join(flags), est, actual, r.status),
          flush=True)
    c.check(r.status in (0, 3), "%s: the run ended (exit %d): %s" % (name, r.status, r.stderr[-400:]))
    c.check(actual > 0 and abs(est - actual) <= 0.1 * actual,
            "%s %s: the estimate %d is within 10%% of the %d calls made\n%s" % (name, flags, est, actual, text))

# Pipedrive: the bundled mapping, 100 leads, one request a record written.
d = os.path.join(work, "pipedrive")
os.makedirs(d)
pd_map = os.path.join(root, "examples", "pipedrive", "fair-leads.map")
pd_leads = os.path.join(work, "pd.ndjson")
runlib.write_leads(pd_leads, 100, bad_every=0)
p = subprocess.run([crmmap, "run", pd_map, "--input", pd_leads, "--dry-run", "--budget", "--force"],
                   capture_output=True, text=True)
m = TOTAL.search(p.stdout)
est = int(m.group(1)) if m else 0
reset()
r = runlib.run(crmmap, pd_map, pd_leads, d, "--rate", "1000/1")
actual = admin("/__admin/state")["requests"]
print("pipedrive: estimate %d calls, the run made %d (exit %d)" % (est, actual, r.status), flush=True)
c.check(actual > 0 and abs(est - actual) <= 0.1 * actual, "pipedrive: the estimate %d is within 10%% of the %d "
        "calls made\n%s" % (est, actual, p.stdout))

# plan --budget prints the estimate of a run with its defaults, offline.
s = systems.get("salesforce", crmmap)
mapping = s.mapping(root, work, corpus)
p = subprocess.run([crmmap, "plan", mapping, "--input", leads, "--budget"], capture_output=True, text=True)
est, _ = estimate(s, mapping, None, [])
m = TOTAL.search(p.stdout)
# The drift check describes each CRM object the mapping writes once:
# Contact, Visit_Report__c and ContentVersion (three entities, one object).
DESCRIBES = 3
c.check(p.returncode == 0 and m and int(m.group(1)) == est + DESCRIBES
        and "field definitions (drift check): %d\n" % DESCRIBES in p.stdout,
        "plan --budget: the run's estimate and its drift check's %d describes (%s, %d)" % (DESCRIBES, p.stdout, est))
# With a connection: the share of the org's remaining daily quota (/limits).
admin("/__admin/faults", {"faults": [], "daily": 1000})
p = subprocess.run([crmmap, "plan", mapping, "--input", leads, "--budget", "--url", runlib.URL, "--token-env",
                    "CRM_TOKEN", "--plain-http"], capture_output=True, text=True, env=dict(os.environ, CRM_TOKEN="T"))
share = re.search(r"daily API requests: (\d+) of 1000 left \(1000 a day\); this run would spend ([\d.]+)%", p.stdout)
c.check(p.returncode == 0 and share and abs(float(share.group(2)) - 100.0 * (est + DESCRIBES) / int(share.group(1))) < 0.1,
        "plan --budget with a connection: the share of the quota left (%s%s)" % (p.stdout, p.stderr))
p = subprocess.run([crmmap, "run", mapping, "--input", leads, "--budget"], capture_output=True, text=True)
c.check(p.returncode == 2 and "--dry-run" in p.stderr, "--budget without --dry-run is a usage error")

# --max-calls on Salesforce, in small batches so that the run has many rounds.
inp = leads
s = systems.get("salesforce", crmmap)
d, cfg = where(s, "max_calls")
mapping = s.mapping(root, d, corpus)
small = ["--batch-size", "20", "--in-flight", "1", "--bulk", "off", "--retries", "10"]
est, _ = estimate(s, mapping, cfg, small)
reset()
r = runlib.run(crmmap, mapping, inp, d, "--max-calls", str(est - 1), *small)
c.check(r.status == 2 and "--max-calls" in r.stderr and "help:" in r.stderr,
        "below the estimate the run is refused with exit 2 and a help (exit %d): %s" % (r.status, r.stderr))
c.check(admin("/__admin/state")["requests"] == 0, "a refused run sends nothing")

reset()
clean = runlib.run(crmmap, mapping, inp, d, *small)
want = s.snapshot()
reset([{"kind": "429", "probability": 0.2, "count": 10 ** 6, "retry_after": "0.05"}], seed=3)
r = runlib.run(crmmap, mapping, inp, d, "--max-calls", str(est), *small)
made = admin("/__admin/state")["requests"]
c.check(r.status == 4 and "--max-calls" in r.stderr and "--resume" in r.stderr,
        "retries past --max-calls stop the run with exit 4 and the --resume hint (exit %d): %s"
        % (r.status, r.stderr[-600:]))
c.check(made <= est + 40, "it stopped within a round of the limit (%d calls, limit %d)" % (made, est))
part = s.snapshot()
c.check(len(part.parents) + len(part.children) < len(want.parents) + len(want.children), "it stopped before the end")
r = runlib.run(crmmap, mapping, inp, d, "--resume", *small)
got = s.snapshot()
print("max-calls %d: stopped after %d calls; --resume: %s" % (est, made, r.stderr.strip().splitlines()[-1]))
c.check(r.status == 3 and r.summary == clean.summary, "--resume finishes as a clean run (%s vs %s)"
        % (r.summary, clean.summary))
c.check(got.parents == want.parents and got.children == want.children and got.dups == 0,
        "every lead is on the server once, as a clean run leaves them")
c.exit()
