#!/usr/bin/env python3
"""Measures, against tools/crmserver (CRMSERVER_URL, started by
with_server.py): end-to-end `crmmap run` records/s for Salesforce-shaped
upserts, 200 a request, 4 in flight (reading NDJSON, the VM, the transfer
engine, the journal, the connector), next to tests/connectors/bench_upsert
(the connector alone, and the minimal client's ceiling); then the share of
requests answered 429 when the server allows 100 requests per 10 s.
ROUNDS (3) rounds of the first two, taking turns; the median ratio.

Usage: run_upsert.py CRMMAP BENCH_UPSERT WORKDIR N RATE_N"""
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request

URL = os.environ["CRMSERVER_URL"]
ROUNDS = int(os.environ.get("ROUNDS", "3"))
CEILING = re.compile(r"minimal client: .* = (\d+) records/s")


def admin(path, body=None):
    req = urllib.request.Request(URL + path, data=None if body is None else json.dumps(body).encode(),
                                 method="GET" if body is None else "POST")
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def crmmap_run(crmmap, mapc, data, work, *flags):
    cmd = [crmmap, "run", mapc, "--input", data, "--url", URL, "--plain-http", "--force", "--batch-size", "200",
           "--in-flight", "4", "--journal", os.path.join(work, "journal"), "--errors",
           os.path.join(work, "errors.ndjson")] + list(flags)
    t0 = time.time()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return time.time() - t0, p.returncode, p.stderr.strip().splitlines()[-2:]


def main():
    crmmap, bench_upsert, work, n, rate_n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), \
        int(sys.argv[5])
    here = os.path.dirname(os.path.abspath(__file__))
    os.makedirs(work, exist_ok=True)
    mapc = os.path.join(work, "run_upsert.mapc")
    subprocess.run([crmmap, "compile", os.path.join(here, "run_upsert.map"), "-o", mapc], check=True,
                   capture_output=True)
    data = os.path.join(work, "leads-%d.ndjson" % n)
    if not os.path.exists(data):
        with open(data, "w") as f:
            subprocess.run([sys.executable, os.path.join(here, "gen_leads.py"), str(n)], stdout=f, check=True)

    # crmmap and the minimal client take turns, so that both see the same
    # machine; the ratio of each round, and their median, are what count.
    ratios = []
    for _ in range(ROUNDS):
        admin("/__admin/reset", {})
        secs, status, tail = crmmap_run(crmmap, mapc, data, work)
        print("crmmap run: %d records in %.2f s = %.0f records/s (exit %d; %s)"
              % (n, secs, n / secs, status, " / ".join(tail)))
        admin("/__admin/reset", {})
        out = subprocess.run([bench_upsert, str(n), "4"], capture_output=True, text=True, env=os.environ)
        print(out.stdout.strip())
        ceiling = CEILING.search(out.stdout)
        if ceiling:
            ratios.append(n / secs / float(ceiling.group(1)))
            print("crmmap run / ceiling = %.0f%%" % (100 * ratios[-1]))
    if ratios:
        print("median crmmap run / ceiling over %d rounds = %.0f%%" % (len(ratios), 100 * statistics.median(ratios)))

    sub = os.path.join(work, "rate")
    os.makedirs(sub, exist_ok=True)
    rdata = os.path.join(work, "leads-%d.ndjson" % rate_n)
    if not os.path.exists(rdata):
        with open(rdata, "w") as f:
            subprocess.run([sys.executable, os.path.join(here, "gen_leads.py"), str(rate_n)], stdout=f, check=True)
    # Once without a client-side limit (Salesforce has none by default), once
    # with --rate matching the server's: the 429 share the client limit saves.
    for flags in ([], ["--rate", "100/10"]):
        admin("/__admin/reset", {})
        admin("/__admin/faults", {"faults": [], "rate": {"requests": 100, "window": 10}})
        secs, status, tail = crmmap_run(crmmap, mapc, rdata, sub, *flags)
        st = admin("/__admin/state")
        limited = st["faults_fired"].get("rate_limited", 0)
        print("server limit 100 requests / 10 s, client %s: %d records, %d requests, %d answered 429 (%.1f%%), "
              "%.1f s, exit %d; %s"
              % (" ".join(flags) or "no limit", rate_n, st["requests"], limited,
                 100.0 * limited / max(1, st["requests"]), secs, status, " / ".join(tail)))

if __name__ == "__main__":
    main()
