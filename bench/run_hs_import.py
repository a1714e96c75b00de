#!/usr/bin/env python3
"""The HubSpot load benchmark against tools/crmserver (started by
with_server.py): N leads into the server's HubSpot through the batch API
(--bulk off) and through the imports API (--bulk on), each from an empty
server, for bench/run_hs_import.map (contacts and their notes) and for its
contacts alone; prints records/s and API calls per 1,000 records (run_bulk.py
measures, jobs meaning imports).

--callgrind: instead, the imports path of the contacts alone once under
valgrind's callgrind, printing the crmmap process's instructions (where the
time of writing the import goes, without the server's).

--kill: each load once more killed with kill -9 half-way and resumed
(run_bulk.py).

Usage: run_hs_import.py CRMMAP WORKDIR [--callgrind | --kill] N [N...]"""
import os
import re
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "run"))
import run_bulk  # noqa: E402
import runlib  # noqa: E402
import systems  # noqa: E402

LABELS = ("contacts and notes", "contacts alone")


def mapping(hs, work, label):
    root = os.path.join(here, "..")
    d = os.path.join(work, label.replace(" ", "_"))
    os.makedirs(d, exist_ok=True)
    path = hs.mapping(root, d, os.path.join(root, "tests", "corpus"), os.path.join(here, "run_hs_import.map"))
    if label == "contacts alone":
        with open(path, encoding="utf-8") as f:
            text = f.read()
        with open(path, "w", encoding="utf-8") as f:
            f.write(text[:text.index("entity notes")])
    return d, path


def callgrind(crmmap, work, hs, n):
    d, path = mapping(hs, work, "contacts alone")
    mapc = os.path.join(d, "bulk.mapc")
    subprocess.run([crmmap, "compile", path, "-o", mapc], check=True, capture_output=True)
    data = os.path.join(d, "leads-%d.ndjson" % n)
    if not os.path.exists(data):
        runlib.write_leads(data, n)
    out = os.path.join(d, "callgrind.out")
    wrap = os.path.join(d, "crmmap-callgrind")
    with open(wrap, "w", encoding="utf-8") as f:
        f.write('#!/bin/sh\nexec valgrind --tool=callgrind --callgrind-out-file=%s "%s" "$@"\n'
                % (out, os.path.abspath(crmmap)))
    os.chmod(wrap, 0o755)
    runlib.reset()
    for f in ("journal.db", "errors.ndjson"):
        if os.path.exists(os.path.join(d, f)):
            os.remove(os.path.join(d, f))
    r = runlib.run(wrap, mapc, data, d, "--bulk", "on", "--quiet", "--bulk-poll-ms", "200", *systems.HubSpot.flags,
                   timeout=3600)
    with open(out, encoding="utf-8") as f:
        total = int(re.search(r"^summary: (\d+)", f.read(), re.M).group(1))
    print("%7d contacts, imports API under callgrind: %d instructions (exit %d; %s)" % (n, total, r.status, out))


def main():
    crmmap, work = sys.argv[1], sys.argv[2]
    cg = sys.argv[3:4] == ["--callgrind"]
    kill, sizes = run_bulk.sizes_of(sys.argv[4 if cg else 3:])
    hs = systems.get("hubspot", crmmap)
    hs.mode = "create key visit_note_id"
    if cg:
        for n in sizes:
            callgrind(crmmap, work, hs, n)
        return
    for label in LABELS:
        d, path = mapping(hs, work, label)
        flags = systems.HubSpot.flags + ["--bulk-poll-ms", "200"]
        run_bulk.measure(crmmap, path, d, sizes, (("batch API", ["--bulk", "off"] + flags, None),
                                                  ("imports API", ["--bulk", "on"] + flags, None)), hs, kill)


if __name__ == "__main__":
    main()
