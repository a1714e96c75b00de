#!/usr/bin/env bash
# API calls per 1,000 records and records/s of `crmmap run` into the local
# server's HubSpot, batch API against the imports API, for N leads
# (docs/run.md, "Bulk jobs"): contacts with their notes, and contacts alone.
# --callgrind: the crmmap process's instructions of an import of N contacts;
# --kill: each load once more killed with kill -9 half-way, then --resume.
# Usage: bench/run_hs_import.sh [--callgrind | --kill] [N...]   (10000)
set -euo pipefail
cd "$(dirname "$0")/.."
cg=()
[ "${1:-}" != --callgrind ] || { cg=(--callgrind); shift; }
case " $* " in *" "[0-9]*) ;; *) set -- "$@" 10000 ;; esac
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 >/dev/null
python3 tools/crmserver/with_server.py --token T --corpus tests/corpus -- \
  python3 bench/run_hs_import.py build/crmmap build/bench-hs-import "${cg[@]}" "$@"
