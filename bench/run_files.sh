#!/usr/bin/env bash
# Peak RSS and records/s of `crmmap run` sending files (docs/files.md,
# "Limits"): 100 leads each naming a 5 MiB scan by URL (fetched from
# loopback), then 100 leads each carrying a 700 KiB data: URI, into the
# local server's Salesforce ContentVersions and Dynamics annotations.
# Usage: bench/run_files.sh [-- FLAGS...]   (flags go to crmmap run)
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 >/dev/null
for load in "url 100 5242880" "data 100 716800"; do
  # shellcheck disable=SC2086
  python3 tools/crmserver/with_server.py --token T --corpus tests/corpus -- \
    python3 bench/run_files.py build/crmmap build/bench-files $load "$@"
done
