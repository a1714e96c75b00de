#!/usr/bin/env bash
# Valgrind memcheck over the example runs: check, compile, verify, disasm and
# a dry run of the bundled leads for every example mapping, on the normal
# (unsanitized) build. A second opinion next to the ASan suite: it sees
# uninitialised reads ASan does not. Fails on any memcheck error or any
# definitely or indirectly lost block. Not in ctest (about a minute); run
#   tests/hardening/memcheck.sh build/crmmap examples
set -u
crmmap=$1 examples=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fails=0 runs=0
vg=(valgrind --tool=memcheck --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect
    --show-leak-kinds=definite,indirect --track-origins=yes -q)
for map in "$examples"/*/*.map; do
  name=$(basename "$(dirname "$map")")
  for cmd in "check $map" "compile $map -o $tmp/$name.mapc" "verify $tmp/$name.mapc" "disasm $tmp/$name.mapc" \
             "run $tmp/$name.mapc --input $examples/records/fair-leads.ndjson --dry-run" \
             "run $map --input $examples/records/fair-leads.ndjson --dry-run"; do
    # shellcheck disable=SC2086 # the command's words
    "${vg[@]}" --log-file="$tmp/log" "$crmmap" $cmd >/dev/null 2>"$tmp/err"; rc=$?
    runs=$((runs + 1))
    if [ $rc = 99 ] || [ -s "$tmp/log" ]; then
      echo "FAIL: crmmap $cmd:"; sed -n 1,40p "$tmp/log"; fails=$((fails + 1))
    else
      echo "ok: crmmap $cmd (exit $rc, 0 errors, 0 bytes definitely lost)"
    fi
  done
done
echo "$runs runs under memcheck, $fails with errors or leaks"
[ $fails = 0 ]
