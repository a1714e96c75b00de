#!/usr/bin/env bash
# API calls per 1,000 records and records/s of `crmmap run`, REST against
# Bulk API 2.0, for N leads with visit reports into the local server's
# Salesforce (docs/run.md, "Bulk"): bench/run_bulk.map (no `master crm`)
# and examples/salesforce/fair-leads.map, whose `master crm` reads are SOQL
# queries of 100 keys through REST and a Bulk API 2.0 query job a window
# through bulk (bench/run_bulk_query.sh measures that path).
# --kill: each load once more killed with kill -9 half-way, then --resume.
# Usage: bench/run_bulk.sh [--kill] [N...]   (10000 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
case " $* " in *" "[0-9]*) ;; *) set -- "$@" 10000 100000 ;; esac
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 >/dev/null
for map in bench/run_bulk.map examples/salesforce/fair-leads.map; do
  python3 tools/crmserver/with_server.py --token T --corpus tests/corpus -- \
    python3 bench/run_bulk.py build/crmmap build/bench-bulk "$map" "$@"
done
