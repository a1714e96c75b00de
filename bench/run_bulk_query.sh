#!/usr/bin/env bash
# examples/salesforce/fair-leads.map (`master crm` and `on create` fields)
# through Bulk API 2.0 into the local server's Salesforce, a tenth of the
# contacts already held: API calls per 1,000 records, the `run --dry-run
# --budget` estimate against the calls made, records/s; then the same load
# killed (-9) while its ingest uploads and resumed: calls and every lead
# once (docs/run.md, "Bulk").
# Usage: bench/run_bulk_query.sh [N...]   (100000)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null && cmake --build "$root/build" -j2 >/dev/null
exec python3 "$root/tools/crmserver/with_server.py" --token T --corpus "$root/tests/corpus" -- \
  python3 "$root/bench/run_bulk_query.py" "$root/build/crmmap" "$root/build/bench-bulk-query" "${@:-100000}"
