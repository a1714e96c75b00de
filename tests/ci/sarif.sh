#!/bin/sh
# `crmmap check --format sarif` output is valid SARIF 2.1.0: validated with
# ajv-cli (and ajv-formats: URIs, dates) against the OASIS schema committed
# next to this script, on mappings with errors and warnings, with none, with
# several files at once and with a file name that needs percent-encoding.
# A broken log must be refused, so the validator is known to be looking.
# usage: sarif.sh CRMMAP SOURCE_DIR NODE_TOOLS_DIR WORK_DIR
set -eu
crmmap=$1 src=$2 tools=$3 work=$4
schema=$src/tests/ci/sarif-schema-2.1.0.json
ajv=$tools/node_modules/.bin/ajv
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x "$ajv" ] || fail "ajv-cli is not installed in $tools (the npm_tools fixture, tools/npm-tools.sh)"
rm -rf "$work"
mkdir -p "$work/cases x"
cases=$src/tests/check/cases
cp -r "$src/tests/check/schemas" "$work/schemas"
cp "$cases/combo_design.map" "$work/cases x/lead ü%.map"

# check NAME EXPECTED_EXIT LEVELS FILE...: LEVELS the result levels expected.
check() {
  name=$1 want=$2 levels=$3
  shift 3
  got=0
  "$crmmap" check --format sarif "$@" >"$work/$name.sarif.json" || got=$?
  [ "$got" = "$want" ] || fail "$name: check exits $got, expected $want"
  seen=$(python3 -c 'import json,sys
r=json.load(open(sys.argv[1]))["runs"][0]["results"]
print(" ".join(sorted({x["level"] for x in r})) or "none")' "$work/$name.sarif.json")
  [ "$seen" = "$levels" ] || fail "$name: result levels '$seen', expected '$levels'"
}
check errors_and_warnings 1 "error warning" "$cases/combo_design.map"
check warnings_only 0 "warning" "$cases/w0202_w0203_case.map"
check clean 0 "none" "$src/examples/dynamics/fair-leads.map"
check several_files 1 "error warning" "$cases/e0102_unknown_field.map" "$cases/w0201_truncated.map" \
  "$cases/e0110_users.map"
(cd "$work" && check encoded_name 1 "error warning" "cases x/lead ü%.map")
grep -q '"uri": "cases%20x/lead%20%C3%BC%25.map"' "$work/encoded_name.sarif.json" ||
  fail "encoded_name: the artifact URI is not percent-encoded"

# One ajv run for all (node's start-up is most of the time); it names each file.
(cd "$work" && "$ajv" validate -s "$schema" -d "*.sarif.json" --spec=draft7 -c ajv-formats \
   --strict=false --all-errors) || fail "a log is not valid SARIF 2.1.0 (above)"

# The negative control: a level SARIF does not know.
sed 's/"level": "error"/"level": "fatal"/' "$work/errors_and_warnings.sarif.json" >"$work/broken.sarif.json"
if (cd "$work" && "$ajv" validate -s "$schema" -d broken.sarif.json --spec=draft7 -c ajv-formats \
      --strict=false >/dev/null 2>&1); then
  fail "ajv accepted a log with level \"fatal\": the validation proves nothing"
fi
echo "ok: 5 SARIF logs valid against the SARIF 2.1.0 schema, a broken one refused"
