#!/usr/bin/env bash
# End-to-end `crmmap run` throughput against the local CRM server, next to
# the connector alone and the minimal client's ceiling
# (tests/connectors/bench_upsert), and the share of 429s when the server
# allows 100 requests per 10 s (docs/run.md, "Figures").
# Usage: bench/run_upsert.sh [N [RATE_N]]   (20000 and 30000)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
rate_n=${2:-30000}
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 >/dev/null
exec python3 tools/crmserver/with_server.py --corpus tests/corpus -- \
  python3 bench/run_upsert.py build/crmmap build/tests/connectors/bench_upsert build/bench-run "$n" "$rate_n"
