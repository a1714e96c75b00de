#!/bin/sh
# One golden case of `crmmap test`. Usage: golden.sh CRMMAP DIR NAME
# Runs `crmmap test cases/leads.map cases/NAME.test.json` from DIR (tests/mtest)
# so the paths in the output are relative; stdout, "--- stderr", stderr and
# "exit N" must equal DIR/cases/NAME.out exactly. UPDATE=1 rewrites it.
set -u
crmmap=$1 dir=$2 name=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$dir" || exit 1
NO_COLOR=1 "$crmmap" test cases/leads.map "cases/$name.test.json" >"$tmp/got" 2>"$tmp/err"
status=$?
{ echo "--- stderr"; cat "$tmp/err"; echo "exit $status"; } >>"$tmp/got"
if [ "${UPDATE:-}" = 1 ]; then cp "$tmp/got" "cases/$name.out"; fi
diff -u "cases/$name.out" "$tmp/got"
