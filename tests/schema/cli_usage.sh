#!/bin/sh
# `crmmap schema` usage errors exit 2 with a message; --help exits 0;
# an unreadable document exits 1; an unwritable output folder exits 4.
set -u
crmmap=$1 corpus=$2 scratch=$3
status=0
expect() {
  want=$1; shift
  "$@" >"$scratch.out" 2>&1
  got=$?
  if [ "$got" != "$want" ]; then
    echo "exit $got, expected $want: $*"; cat "$scratch.out"; status=1
  fi
}
rm -rf "$scratch"; mkdir -p "$scratch"
doc=$corpus/salesforce/cumulusci_Custom__c_describe.json
expect 2 "$crmmap" schema
expect 2 "$crmmap" schema frobnicate
expect 2 "$crmmap" schema import "$doc" -o "$scratch/o"
expect 2 "$crmmap" schema import --system oracle "$doc" -o "$scratch/o"
expect 2 "$crmmap" schema import --system salesforce "$doc"
expect 2 "$crmmap" schema import --system salesforce -o "$scratch/o"
expect 2 "$crmmap" schema import --system salesforce --bogus "$doc" -o "$scratch/o"
expect 0 "$crmmap" schema import --help
grep -q "Usage: crmmap schema import" "$scratch.out" || { echo "no usage in --help"; status=1; }
expect 1 "$crmmap" schema import --system salesforce "$scratch/missing.json" -o "$scratch/o"
[ -e "$scratch/o" ] && { echo "a failed import created its output folder"; status=1; }
: >"$scratch/file"
expect 4 "$crmmap" schema import --system salesforce "$doc" -o "$scratch/file"
expect 0 "$crmmap" schema import --system salesforce "$doc" -o "$scratch/a/b/c"
[ -f "$scratch/a/b/c/Custom__c.json" ] || { echo "nested output folder not created"; status=1; }
printf '{ "name": "X", "fields": [ { "type": "string" } ] }' >"$scratch/bad.json"
expect 1 "$crmmap" schema import --system salesforce --format json "$scratch/bad.json" -o "$scratch/o"
jq -e '.[0].code == "E0113" and .[0].line == 1 and .[0].col == 28' "$scratch.out" >/dev/null ||
  { echo "--format json: unexpected output"; cat "$scratch.out"; status=1; }
exit $status
