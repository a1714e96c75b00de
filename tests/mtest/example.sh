#!/bin/sh
# An example mapping's own test cases (FILE.test.json next to it, found by
# default) all pass. Usage: example.sh CRMMAP FILE.map
set -u
crmmap=$1 map=$2
out=$(NO_COLOR=1 "$crmmap" test "$map" 2>/dev/null)
status=$?
echo "$out"
[ "$status" -eq 0 ] || { echo "FAIL: exit $status, want 0"; exit 1; }
echo "$out" | tail -n 1 | grep -Eq '^[1-9][0-9]* passed, 0 failed$' || { echo "FAIL: summary"; exit 1; }
