#!/usr/bin/env bash
# examples/salesforce/fair-leads.map (`master crm` and `on create` fields)
# through Bulk API 2.0 into the local server's Salesforce, a tenth of the
# contacts already held: API calls per 1,000 records, the `run --dry-run
# --budget` estimate against the calls made, records/s; then the same load
# killed (-9) while its ingest uploads and resumed: calls and every lead
# once (docs/run.md, "Bulk").
# Usage: bench/run_bulk_query.sh [N...]   (100000)
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- 100000
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 >/dev/null
python3 tools/crmserver/with_server.py --token T --corpus tests/corpus -- \
  python3 bench/run_bulk_query.py build/crmmap build/bench-bulk-query "$@"
