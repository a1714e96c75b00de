#!/usr/bin/env bash
# Check speed (issue 3, Performance): imports the 250-field NPSP Account
# describe and the HubSpot contacts properties document from tests/corpus,
# generates a 2,000-line mapping against each (bench/gen_check_map.py: every
# line resolved and typed) and times `crmmap check` on each: loading the
# schemas, parsing and checking, process start included. With hyperfine the
# median of 30 runs (and the mean CPU time), otherwise the median of 21.
# Target: under 50 ms each.
# Usage: bench/check_speed.sh [CRMMAP]   (default: build/crmmap; use a
#        Release build for figures: cmake -B build-rel -DCMAKE_BUILD_TYPE=Release)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-build/crmmap}")
corpus=tests/corpus
if [ ! -x "$bin" ]; then
  echo "check_speed: $bin not found; build first" >&2
  exit 2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/schemas/snapaddy"
cp examples/schemas/snapaddy/lead.json "$work/schemas/snapaddy/"
"$bin" schema import --system salesforce \
  "$corpus/salesforce/cumulusci_Account_PersonAccount_NPSP_describe.json" -o "$work/schemas/salesforce" >/dev/null
"$bin" schema import --system hubspot --entity contacts \
  "$corpus/hubspot/handwritten_crm_v3_properties_contacts.json" -o "$work/schemas/hubspot" >/dev/null
python3 bench/gen_check_map.py "$work/schemas/salesforce/Account.json" salesforce Id 2000 "$work/npsp.map"
python3 bench/gen_check_map.py "$work/schemas/hubspot/contacts.json" hubspot email 2000 "$work/hubspot.map"

for name in npsp hubspot; do
  map=$work/$name.map
  # The figure means something only if the mapping checks cleanly.
  if ! "$bin" check "$map" 2>"$work/diags" || [ -s "$work/diags" ]; then
    echo "check_speed: $name.map does not check cleanly:" >&2
    head -20 "$work/diags" >&2
    exit 1
  fi
  n=$(wc -l < "$map")
  cpu=
  if command -v hyperfine >/dev/null; then
    hyperfine --warmup 3 --runs 30 --export-json "$work/h.json" -N "$bin check $map" >/dev/null
    median=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$work/h.json")
    cpu=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print(r["user"] + r["system"])' "$work/h.json")
    how="hyperfine median of 30 runs"
  else
    times=()
    for _ in $(seq 21); do
      s=$(date +%s%N); "$bin" check "$map"; e=$(date +%s%N)
      times+=($((e - s)))
    done
    median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 11p | awk '{print $1 / 1e9}')
    how="median of 21 runs"
  fi
  python3 -c 'import sys; name, n, m, how, cpu = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
extra = f", CPU {float(cpu) * 1000:.2f} ms" if cpu else ""
print(f"check {name}: {n} lines in {m * 1000:.2f} ms ({how}{extra}); target < 50 ms")' "$name" "$n" "$median" "$how" "$cpu"
done
