#!/bin/sh
# The contract of `crmmap test`: exit codes, usage errors, where cases are
# found by default, unreadable inputs. Usage: cli.sh CRMMAP DIR (DIR: tests/mtest)
set -u
crmmap=$1 dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
export NO_COLOR=1
# expect STATUS DESCRIPTION COMMAND...: the command must exit with STATUS.
expect() {
  want=$1 what=$2
  shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL: $what: exit $got, want $want"; cat "$tmp/out" "$tmp/err"; fails=$((fails + 1))
  fi
}
# has FILE TEXT: FILE must contain TEXT.
has() {
  grep -qF -- "$2" "$1" || { echo "FAIL: $1 lacks '$2':"; cat "$1"; fails=$((fails + 1)); }
}

cp -r "$dir/cases" "$tmp/w"
cd "$tmp/w" || exit 1

expect 2 "no mapping" "$crmmap" test
has "$tmp/err" "no mapping given"
expect 2 "unknown option" "$crmmap" test --bogus leads.map
expect 2 "--junit without a file" "$crmmap" test leads.map --junit
expect 2 "a .mapc" "$crmmap" test leads.mapc
has "$tmp/err" "is not a .map file"
expect 0 "--help" "$crmmap" test --help
has "$tmp/out" "Usage: crmmap test FILE.map [CASES...] [--junit FILE] [--filter TEXT]"

# Without CASES: STEM.test.json and STEM.tests/*.json; none is an error.
expect 1 "no cases found" "$crmmap" test leads.map
has "$tmp/err" "error[E0301]: no test cases for this mapping"
has "$tmp/err" "help: write them in leads.test.json or leads.tests/*.json (docs/testing.md)"
cp pass.test.json leads.test.json
expect 0 "STEM.test.json found" "$crmmap" test leads.map
has "$tmp/out" "PASS leads.test.json:4: whole sections, owner by e-mail and a ref"
has "$tmp/out" "7 passed, 0 failed"
mkdir leads.tests
cp pass.test.json leads.tests/b.json
cp fail.test.json leads.tests/a.json
expect 1 "STEM.tests/ found too, in name order" "$crmmap" test leads.map
has "$tmp/out" "14 passed, 7 failed"
order=$(grep -oE '^(PASS|FAIL) [^:]+' "$tmp/out" | cut -d' ' -f2 | uniq | tr '\n' ' ')
[ "$order" = "leads.test.json leads.tests/a.json leads.tests/b.json " ] || {
  echo "FAIL: files run in the order $order"; fails=$((fails + 1)); }
# CASES given: only those; a folder stands for its *.json.
expect 0 "a case file given" "$crmmap" test leads.map pass.test.json
has "$tmp/out" "7 passed, 0 failed"
rm leads.tests/a.json
expect 0 "a folder given" "$crmmap" test leads.map leads.tests
has "$tmp/out" "7 passed, 0 failed"

# --filter: only the cases whose name holds the text; matching none fails.
expect 0 "--filter" "$crmmap" test leads.map pass.test.json --filter reject
has "$tmp/out" "2 passed, 0 failed"
expect 1 "--filter matching nothing" "$crmmap" test leads.map pass.test.json --filter nothing-like-this
has "$tmp/err" 'error[E0301]: no test case name holds "nothing-like-this"'
printf '{"format": "crmmap-test/1", "cases": []}' >empty.test.json
expect 1 "a case file without cases" "$crmmap" test leads.map empty.test.json
has "$tmp/err" "help: its case files hold none"

expect 1 "a missing case file" "$crmmap" test leads.map none.test.json
has "$tmp/out" "none.test.json: error[E0301]: cannot read the test case file"
has "$tmp/out" "0 passed, 1 failed"
expect 1 "an unwritable JUnit report" "$crmmap" test leads.map pass.test.json --junit "$tmp/no/such/dir/r.xml"
has "$tmp/err" "cannot write the JUnit report"
expect 0 "the JUnit report written" "$crmmap" test leads.map pass.test.json --junit "$tmp/r.xml"
has "$tmp/r.xml" '<testsuite name="leads.map" tests="7" failures="0" errors="0"'

# A file of many problems: reading stops at 100, one report, no quadratic
# rendering (the file is one long line); an object of 50,000 unknown keys
# is one problem.
python3 -c "
import json
fields = {'Fiel%05dxx' % i: 'v' for i in range(50000)}
junk = {'k%d' % i: 1 for i in range(50000)}
print(json.dumps({'format': 'crmmap-test/1', 'cases': [
  {'name': 'many', 'input': {}, 'expect': {'Contact': {'fields': fields}}},
  {'name': 'keys', 'input': {}, 'expect': {'Contact': junk}}]}))" >"$tmp/many.test.json"
expect 1 "100 problems at most" "$crmmap" test leads.map "$tmp/many.test.json"
has "$tmp/out" "error[E0301]: 100 problems in this file: the rest is not read"
[ "$(grep -c 'error\[' "$tmp/out")" = 101 ] || { echo "FAIL: not 101 diagnostics"; fails=$((fails + 1)); }
python3 -c "
import json
print(json.dumps({'format': 'crmmap-test/1', 'cases': [
  {'name': 'keys', 'input': {}, 'expect': {'Contact': {'k%d' % i: 1 for i in range(50000)}}}]}))" >"$tmp/keys.test.json"
expect 1 "an object of many unknown keys" "$crmmap" test leads.map "$tmp/keys.test.json"
has "$tmp/out" "error[E0301]: an entity's expectation with 50000 keys"

# A number expected where the CRM gets text: the help says how to write it.
cat >"$tmp/text.test.json" <<'CASES'
{ "format": "crmmap-test/1", "cases": [ { "name": "zip as a number",
  "input": { "email": "a@example.de", "zip": "97070" },
  "expect": { "contacts": { "fields": { "zip": 97070 } } } } ] }
CASES
expect 1 "a number for a text value" "$crmmap" test "$dir/../../examples/hubspot/fair-leads.map" "$tmp/text.test.json"
has "$tmp/out" "help: the CRM gets this field's values as text: write \"97070\""

# The example in docs/testing.md passes against the Salesforce example.
awk '/^```json$/ { on = 1; next } /^```$/ { if (on) exit } on' "$dir/../../docs/testing.md" >"$tmp/doc.test.json"
expect 0 "the example of docs/testing.md" "$crmmap" test "$dir/../../examples/salesforce/fair-leads.map" "$tmp/doc.test.json"
has "$tmp/out" "2 passed, 0 failed"

# A mapping that does not check: its diagnostics, exit 1, no cases run.
sed 's/FirstName         =/FristName =/' leads.map >broken.map
expect 1 "a mapping with errors" "$crmmap" test broken.map pass.test.json
has "$tmp/err" "error[E0102]"
[ ! -s "$tmp/out" ] || { echo "FAIL: cases ran against a broken mapping"; cat "$tmp/out"; fails=$((fails + 1)); }
[ $fails = 0 ] && echo ok
exit $fails
