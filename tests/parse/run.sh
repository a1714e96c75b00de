#!/bin/sh
# Runs one parser golden case. Usage:
#   run.sh golden CRMMAP FILE.map EXPECTED [--spans]   AST dump equals EXPECTED, exit 0
#   run.sh error  CRMMAP FILE.map EXPECTED              text diagnostics equal EXPECTED, exit 1
# Each case runs in the file's folder so diagnostics name the file alone.
set -u
mode=$1 bin=$2 map=$3 expected=$4
shift 4
cd "$(dirname "$map")" || exit 2
name=$(basename "$map")
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
case $mode in
golden)
    NO_COLOR=1 "$bin" check --dump-ast "$@" "$name" >"$out" 2>"$err"
    status=$?
    if [ $status -ne 0 ]; then
        echo "expected exit 0, got $status"; cat "$err"; exit 1
    fi
    diff -u "$expected" "$out" || exit 1 ;;
error)
    NO_COLOR=1 "$bin" check "$name" >"$out" 2>"$err"
    status=$?
    if [ $status -ne 1 ]; then
        echo "expected exit 1, got $status"; cat "$err"; exit 1
    fi
    [ -s "$out" ] && { echo "unexpected output on stdout:"; cat "$out"; exit 1; }
    diff -u "$expected" "$err" || exit 1 ;;
*)
    echo "run.sh: unknown mode $mode"; exit 2 ;;
esac
