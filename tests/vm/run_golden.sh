#!/bin/sh
# One golden case. Usage: run_golden.sh dryrun|disasm CRMMAP DIR NAME
#   dryrun: `crmmap run DIR/NAME.map --input DIR/NAME.IN --dry-run`, IN being
#           ndjson, json or csv (whichever exists); stdout and then "exit N"
#           must equal DIR/NAME.out.
#   disasm: `crmmap compile` then `crmmap disasm` (source lines interleaved);
#           stdout must equal DIR/NAME.disasm.
# CRMMAP_NOW pins today()/now() so the outputs do not depend on the clock.
set -u
mode=$1 crmmap=$2 dir=$3 name=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export CRMMAP_NOW=2026-11-22T10:00:00Z
case $mode in
dryrun)
  for ext in ndjson json csv; do [ -f "$dir/$name.$ext" ] && input=$dir/$name.$ext; done
  "$crmmap" run "$dir/$name.map" --input - --dry-run <"$input" >"$tmp/got" 2>"$tmp/err"
  echo "exit $?" >>"$tmp/got"
  ;;
disasm)
  cp "$dir/$name.map" "$tmp/"
  "$crmmap" compile "$dir/$name.map" -o "$tmp/$name.mapc" 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
  "$crmmap" disasm "$tmp/$name.mapc" >"$tmp/got" 2>>"$tmp/err"
  ;;
esac
want=$dir/$name.out
[ "$mode" = disasm ] && want=$dir/$name.disasm
if ! diff -u "$want" "$tmp/got"; then
  echo "--- stderr:"; cat "$tmp/err"
  exit 1
fi
