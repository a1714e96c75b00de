#!/bin/sh
# The records run builds of snapADDY's VisitReport export, pinned: the dry
# run of the Salesforce example on tests/run/visitreport_export.json (its
# payloads and the files' descriptions), then an export with two reports
# that cannot be converted (each a bad record at its report's line:col,
# the others go), the estimates of --budget, and a malformed export, one
# cut short and one without a list of reports (one diagnostic each, exit 1), their
# errors on stderr. stdout, the errors and "exit N" must equal
# visitreport_dryrun.out.
# Usage: visitreport_dryrun.sh CRMMAP REPO_ROOT
set -u
crmmap=$1 root=$2
here=$root/tests/run
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export CRMMAP_NOW=2026-11-22T10:00:00Z
cd "$root" || exit 1
one() {
  echo "== $1 < $2"
  "$crmmap" run "$1" --input "$2" --dry-run --quiet 2>"$tmp/err"
  echo "exit $?"
  grep -E ': error: |^help: ' "$tmp/err"
}
# The Salesforce example reads every part of a record (contact fields,
# visitreport, answers, the files); the others change in parallel work.
one examples/salesforce/fair-leads.map tests/run/visitreport_export.json >"$tmp/got"
# The estimates read the same records: run --dry-run --budget and plan --budget.
{
  echo "== budget"
  "$crmmap" run examples/salesforce/fair-leads.map --input tests/run/visitreport_export.json --dry-run --budget 2>/dev/null
  echo "exit $?"
  "$crmmap" plan examples/salesforce/fair-leads.map --budget --input tests/run/visitreport_export.json 2>/dev/null
  echo "exit $?"
} >>"$tmp/got"
one examples/salesforce/fair-leads.map tests/run/visitreport_export_bad.json >>"$tmp/got"
for bad in malformed cut noreports; do
  one examples/salesforce/fair-leads.map "tests/run/visitreport_export_$bad.json"
done >>"$tmp/got"
if ! diff -u "$here/visitreport_dryrun.out" "$tmp/got"; then
  exit 1
fi
