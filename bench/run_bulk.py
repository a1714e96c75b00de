#!/usr/bin/env python3
"""The load benchmark against tools/crmserver (CRMSERVER_URL, started by
with_server.py): N leads with visit reports into one of the server's CRMs
through two paths (the API's own requests and the vendor's bulk engine),
each from an empty server. For each it prints records/s, API calls per
1,000 records, the estimate of `run --dry-run --budget` against the calls
made, and (--kill) the same load once more killed with kill -9 half-way
and finished with --resume: the calls both runs made and whether the
server then holds what the uninterrupted run left, no key twice (exactly
once). The records are tests/run/runlib.py's leads (every 97th refused for
its e-mail address), so that they fit the describes the server checks
against. This script: Salesforce, sObject Collections (--bulk off) against
Bulk API 2.0 (--bulk on); run_hs_import.py and run_multiple.py measure
HubSpot and Dataverse with it.

Usage: run_bulk.py CRMMAP WORKDIR MAPPING [--kill] N [N...]"""
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "run"))
import runlib  # noqa: E402
import systems  # noqa: E402

TOTAL = re.compile(r"^  total: (\d+) calls$", re.M)
# a Salesforce job, a HubSpot import, a Dataverse set
BULK_PATHS = ("/jobs/ingest", "/crm/v3/imports", "Multiple")


def sizes_of(argv):
    """--kill and the sizes from the arguments left."""
    kill = "--kill" in argv
    return kill, [int(a) for a in argv if a != "--kill"]


def start(work, setup):
    runlib.reset()
    if setup:
        setup()
    for f in ("journal.db", "errors.ndjson"):
        if os.path.exists(os.path.join(work, f)):
            os.remove(os.path.join(work, f))


def calls():
    state = runlib.admin("/__admin/state")
    by = state["requests_by_path"]
    jobs = sum(v for p, v in by.items() if p.endswith(BULK_PATHS))
    return state["requests"], jobs, sum(v for p, v in by.items() if p.endswith("/$batch"))


def estimate(crmmap, mapc, data, flags):
    p = subprocess.run([crmmap, "run", mapc, "--input", data, "--dry-run", "--budget", "--force"] + list(flags),
                       capture_output=True, text=True, timeout=3600)
    m = TOTAL.search(p.stdout)
    return int(m.group(1)) if m else -1


def killed(crmmap, mapc, data, work, flags, setup, after):
    """The load killed with kill -9 after `after` seconds, then --resume to
    the end; returns the Result of the resumed run."""
    start(work, setup)
    cmd = [crmmap, "run", mapc, "--input", data, "--url", runlib.URL, "--plain-http", "--force",
           "--errors", os.path.join(work, "errors.ndjson"), "--journal", os.path.join(work, "journal.db"),
           "--token-env", "CRM_TOKEN"] + list(flags)
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ, CRM_TOKEN="T"))
    time.sleep(after)
    p.send_signal(signal.SIGKILL)
    p.wait()
    return runlib.run(crmmap, mapc, data, work, "--resume", *flags, timeout=3600)


def measure(crmmap, mapping, work, sizes, paths, system=None, kill=False, bad_every=97):
    """Compiles mapping into work and prints, for each size, a line per
    path (label, flags, setup: called after the server's reset); with kill,
    a second line of the load killed and resumed, compared with system's
    snapshot of the uninterrupted run."""
    os.makedirs(work, exist_ok=True)
    mapc = os.path.join(work, "bulk.mapc")
    subprocess.run([crmmap, "compile", mapping, "-o", mapc], check=True, capture_output=True)
    print("mapping %s" % mapping)
    for n in sizes:
        data = os.path.join(work, "leads-%d-%d.ndjson" % (n, bad_every))
        if not os.path.exists(data):
            runlib.write_leads(data, n, bad_every)
        for label, flags, setup in paths:
            flags = list(flags) + ["--quiet"]
            est = estimate(crmmap, mapc, data, flags)
            start(work, setup)
            t0 = time.time()
            r = runlib.run(crmmap, mapc, data, work, *flags, timeout=3600)
            secs = time.time() - t0
            made, jobs, batches = calls()
            print("%7d leads, %-30s %7.0f records/s  %6d calls = %5.2f per 1,000 records  (%d jobs, %d $batch, "
                  "%.1f s, exit %d); estimate %d (%+.1f%%)"
                  % (n, label, n / secs, made, 1000.0 * made / n, jobs, batches, secs, r.status, est,
                     100.0 * (est - made) / made if made else 0), flush=True)
            if not (kill and system):
                continue
            want = system.snapshot()
            again = killed(crmmap, mapc, data, work, flags, setup, secs / 2)
            both, _, _ = calls()
            snap = system.snapshot()
            once = snap.dups == 0 and snap.parents == want.parents and snap.children == want.children
            print("%7d leads, %-30s kill -9 at %.1f s, --resume: exit %d, %s, %d calls in both runs (%+d)"
                  % (n, label, secs / 2, again.status,
                     "exactly once" if once else "NOT exactly once (%d keys twice)" % snap.dups, both, both - made),
                  flush=True)


def main():
    crmmap, work, mapping = sys.argv[1], sys.argv[2], sys.argv[3]
    kill, sizes = sizes_of(sys.argv[4:])
    measure(crmmap, mapping, work, sizes, (("REST (sObject Collections)", ["--bulk", "off"], None),
                                           ("Bulk API 2.0", ["--bulk", "on"], None)),
            systems.get("salesforce", crmmap), kill)


if __name__ == "__main__":
    main()
