#!/bin/sh
# One example mapping, end to end offline: canonical layout, compile,
# verify, a size within the 8 KB docs/bytecode.md promises for an example,
# and a dry run over the bundled leads whose output must equal the reviewed
# golden file tests/examples/<system>.dryrun.
set -eu
crmmap=$1 map=$2 records=$3 golden=$4 work=$5
mkdir -p "$work"
"$crmmap" fmt --check "$map"
"$crmmap" compile "$map" -o "$work/example.mapc" 2>/dev/null
"$crmmap" verify "$work/example.mapc"
size=$(wc -c < "$work/example.mapc")
[ "$size" -lt 8192 ] || { echo "the compiled example is $size bytes: docs/bytecode.md promises < 8 KB"; exit 1; }
status=0
"$crmmap" run "$work/example.mapc" --input "$records" --dry-run > "$work/dryrun.out" || status=$?
[ "$status" -eq 3 ] || { echo "expected exit 3 (record 4 is rejected), got $status"; exit 1; }
diff -u "$golden" "$work/dryrun.out"
