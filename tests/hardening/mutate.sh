#!/usr/bin/env bash
# Compiles every example mapping and runs COUNT random mutations of each .mapc
# through the loader, the verifier and a dry run of the bundled leads
# (mutate_mapc.c). ctest runs 2,000 per example; the full test is
#   tests/hardening/mutate.sh build-asan/crmmap build-asan/tests/hardening/mutate_mapc examples 10000
# Usage: mutate.sh CRMMAP MUTATE_MAPC EXAMPLES_DIR COUNT [SEED]
set -euo pipefail
crmmap=$1 mutate=$2 examples=$3 count=$4 seed=${5:-7}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
files=()
for map in "$examples"/*/*.map; do
  out=$tmp/$(basename "$(dirname "$map")").mapc
  "$crmmap" compile "$map" -o "$out" 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
  files+=("$out")
done
((${#files[@]})) || { echo "FAIL: no example mappings under $examples"; exit 1; }
"$mutate" "$count" "$seed" "$examples/records/fair-leads.ndjson" "${files[@]}"
