#!/usr/bin/env bash
# The fault matrix of `crmmap run` at full size: 10,000 snapADDY leads
# (20,000 record-entity units: a Contact and its Visit_Report__c each) per
# fault kind tools/crmserver injects, into 20% of the requests. Prints one
# Markdown row per fault (docs/run.md, "Fault matrix"); exit 1 when any check
# failed. Usage: tools/fault_matrix.sh [N] [FAULT...]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
shift || true
faults=("$@")
((${#faults[@]})) || faults=(all)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 >/dev/null
exec python3 tools/crmserver/with_server.py --token T --corpus ../shared/corpus -- \
  python3 tests/run/fault_matrix.py build/crmmap . build/fault_matrix "$n" "${faults[@]}"
