#!/usr/bin/env bash
# API calls per 1,000 records and records/s of `crmmap run` into the local
# server's Dynamics, $batch of single requests against Dataverse's
# CreateMultiple/UpsertMultiple (docs/run.md, "Dataverse CreateMultiple and
# UpsertMultiple"), for N leads with visit reports: the fault-matrix mapping
# (accounts upserted by an alternate key, contacts linked to them, a
# `master crm` read) and the contact + visit report mapping (a keyless
# create of the custom table).
# --good: also with no lead refused; --kill: each load once more killed
# with kill -9 half-way, then --resume.
# Usage: bench/run_multiple.sh [--good] [--kill] [N...]   (10000 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
case " $* " in *" "[0-9]*) ;; *) set -- "$@" 10000 100000 ;; esac
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 >/dev/null
for map in tests/run/maps/faults/dynamics.map tests/run/maps/faults/dynamics_visit.map; do
  python3 tools/crmserver/with_server.py --token T --corpus tests/corpus -- \
    python3 bench/run_multiple.py build/crmmap build/bench-multiple "$map" "$@"
done
