#!/usr/bin/env python3
"""The HubSpot load benchmark against tools/crmserver (started by
with_server.py): N leads into the server's HubSpot through the batch API
(--bulk off) and through the imports API (--bulk on), each from an empty
server, for bench/run_hs_import.map (contacts and their notes) and for its
contacts alone; prints records/s and API calls per 1,000 records (run_bulk.py
measures, jobs meaning imports).

Usage: run_hs_import.py CRMMAP WORKDIR N [N...]"""
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "run"))
import run_bulk  # noqa: E402
import systems  # noqa: E402


def main():
    crmmap, work, sizes = sys.argv[1], sys.argv[2], [int(a) for a in sys.argv[3:]]
    root = os.path.join(here, "..")
    hs = systems.get("hubspot", crmmap)
    hs.mode = "create key visit_note_id"
    for label in ("contacts and notes", "contacts alone"):
        d = os.path.join(work, label.replace(" ", "_"))
        os.makedirs(d, exist_ok=True)
        path = hs.mapping(root, d, os.path.join(root, "tests", "corpus"), os.path.join(here, "run_hs_import.map"))
        if label == "contacts alone":
            with open(path, encoding="utf-8") as f:
                text = f.read()
            with open(path, "w", encoding="utf-8") as f:
                f.write(text[:text.index("entity notes")])
        run_bulk.measure(crmmap, path, d, sizes, ("batch API", "imports API (1 import)"),
                         systems.HubSpot.flags + ["--bulk-poll-ms", "200"])


if __name__ == "__main__":
    main()
