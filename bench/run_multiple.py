#!/usr/bin/env python3
"""The Dataverse load benchmark against tools/crmserver (CRMSERVER_URL,
started by with_server.py): N leads with visit reports into the server's
Dynamics, once with every table refusing the bulk operation messages (the
server's dyn_no_multiple: crmmap sends $batch of single requests) and once
with CreateMultiple/UpsertMultiple, each from an empty server; prints what
run_bulk.py measures. The records are tests/run/runlib.py's leads, with
every 97th refused for its e-mail address (so that every set of 1,000 holds
ten refused records) and (--good) all good as well.

Usage: run_multiple.py CRMMAP WORKDIR MAPPING [--good] [--kill] N [N...]"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "run"))
import run_bulk  # noqa: E402
import runlib  # noqa: E402
import systems  # noqa: E402

TABLES = ["contact", "account", "lead", "new_visitreport"]


def refusing(tables):
    return lambda: runlib.admin("/__admin/faults", {"faults": [], "dyn_no_multiple": tables})


def main():
    crmmap, work, mapping = sys.argv[1], sys.argv[2], sys.argv[3]
    args = sys.argv[4:]
    good = "--good" in args
    kill, sizes = run_bulk.sizes_of([a for a in args if a != "--good"])
    name = os.path.splitext(os.path.basename(mapping))[0]     # dynamics, dynamics_visit
    paths = (("$batch of single requests", [], refusing(TABLES)),
             ("CreateMultiple/UpsertMultiple", [], refusing([])))
    for bad_every in ((0, 97) if good else (97,)):
        print("every %s lead refused" % ("97th" if bad_every else "no"))
        run_bulk.measure(crmmap, mapping, os.path.join(work, name), sizes, paths, systems.get(name, crmmap), kill,
                         bad_every)


if __name__ == "__main__":
    main()
