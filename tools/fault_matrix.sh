#!/usr/bin/env bash
# The fault matrix of `crmmap run` at full size: 10,000 snapADDY leads
# (20,000 units: a parent and its child each) per fault kind tools/crmserver
# injects, into 20% of the requests, for one CRM or all three (the mappings
# and checks: tests/run/systems.py). Prints one Markdown table per CRM
# (docs/run.md, "Fault matrix"); exit 1 when any check failed.
# Usage: tools/fault_matrix.sh [--system salesforce|hubspot|dynamics|all] [N] [FAULT...]
# (--system hubspot_keyless: HubSpot's notes as creates without a key)
set -euo pipefail
cd "$(dirname "$0")/.."
system=salesforce
if [[ ${1:-} == --system ]]; then
  system=${2:?--system needs salesforce, hubspot, dynamics or all}
  shift 2
fi
case $system in
  all) systems=(salesforce hubspot dynamics) ;;
  salesforce | hubspot | hubspot_keyless | dynamics) systems=("$system") ;;
  *) echo "fault_matrix.sh: unknown system '$system' (salesforce, hubspot, dynamics or all)" >&2; exit 2 ;;
esac
n=${1:-10000}
shift || true
faults=("$@")
((${#faults[@]})) || faults=(all)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 >/dev/null
status=0
for s in "${systems[@]}"; do
  ((${#systems[@]} == 1)) || printf '\n%s\n\n' "$s"
  python3 tools/crmserver/with_server.py --token T --client-id crmmap-test --client-secret shh \
    --corpus tests/corpus -- \
    python3 tests/run/fault_matrix.py build/crmmap . "build/fault_matrix_$s" "$n" --system "$s" "${faults[@]}" ||
    status=1
done
exit $status
