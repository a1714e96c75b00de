#!/usr/bin/env bash
# Allocation failures: runs each command on each example mapping with
# CRMMAP_FAIL_ALLOC=N (the Nth allocation fails) for N = 1, 2, ... until the
# command completes. Every failed run must end with the clean out-of-memory
# error (exit 4): no crash, no signal, no sanitizer or leak report.
# The commands: check MAP, compile MAP, and a dry run of the compiled .mapc
# on the bundled leads (examples/records/fair-leads.ndjson); of an
# include-only file check and compile (which refuses it).
#
# Usage: alloc_fail.sh CRMMAP EXAMPLES_DIR [STRIDE]
# STRIDE 1 tries every N (the full test: about 65,000 runs, hours under
# ASan). A larger stride (ctest) tries every N up to 50, then every
# STRIDE-th N, then finds the exact N where the command completes by
# bisection; compile is walked from just below where check completed, as its
# first allocations are check's.
set -u
crmmap=$1 examples=$2 stride=${3:-1}
cap=200000                      # far beyond any example's allocation count
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=halt_on_error=1:exitcode=98
fails=0 runs=0

# One run with the Nth allocation failing. 0: completed (exit 0, 1 or 3), 4: clean OOM,
# 1: bad (a crash, a report, another exit status).
one() {
  local n=$1; shift
  CRMMAP_FAIL_ALLOC=$n "$@" >/dev/null 2>"$tmp/err"
  local rc=$?
  runs=$((runs + 1))
  if grep -q 'Sanitizer\|runtime error:' "$tmp/err"; then
    echo "FAIL: N=$n $*: sanitizer report"; sed -n 1,30p "$tmp/err"; return 1
  fi
  if [ "$rc" = 4 ]; then
    grep -q 'out of memory' "$tmp/err" && return 4
    echo "FAIL: N=$n $*: exit 4 without the out-of-memory message"; cat "$tmp/err"; return 1
  fi
  if [ "$rc" -ge 128 ]; then echo "FAIL: N=$n $*: killed by signal $((rc - 128))"; return 1; fi
  case $rc in 0|1|3) ;; *) echo "FAIL: N=$n $*: exit $rc"; sed -n 1,5p "$tmp/err"; return 1 ;; esac
  if grep -q 'out of memory' "$tmp/err"; then echo "FAIL: N=$n $*: out of memory but exit $rc"; return 1; fi
  return 0                      # completed (0, 1 or 3: the allocation was never reached)
}

# Walks N upwards from $1 until the command completes, then bisects the last
# gap for the exact count (N at or below it fails, above it completes).
# Sets $total to that count.
total=0
walk() {
  local n=$1 start=$1 last=$(($1 - 1)) rc; shift
  while [ $n -le $cap ]; do
    one $n "$@"; rc=$?
    [ $rc = 1 ] && { fails=$((fails + 1)); total=$n; return; }
    if [ $rc = 0 ]; then
      local lo=$last hi=$n mid       # lo fails (or is below start), hi completes
      while [ $((hi - lo)) -gt 1 ]; do
        mid=$(((lo + hi) / 2))
        one $mid "$@"; rc=$?
        [ $rc = 1 ] && { fails=$((fails + 1)); total=$mid; return; }
        if [ $rc = 4 ]; then lo=$mid; else hi=$mid; fi
      done
      total=$lo
      echo "ok: $* completes after $lo allocations (walked from N=$start)"
      return
    fi
    last=$n
    if [ $stride = 1 ] || [ $n -lt $((start + 50)) ]; then n=$((n + 1)); else n=$((n + stride)); fi
  done
  echo "FAIL: $* still failing at N=$cap"; fails=$((fails + 1))
}

maps=$(find "$examples" -name '*.map' | sort)
[ -n "$maps" ] || { echo "FAIL: no example mappings under $examples"; exit 1; }
leads=$examples/records/fair-leads.ndjson
for map in $maps; do
  walk 1 "$crmmap" check "$map"
  from=1
  [ "$stride" != 1 ] && from=$((total > 200 ? total - 200 : 1))
  walk $from "$crmmap" compile "$map" -o "$tmp/out.mapc"
  # An include-only file (examples/common.map) has nothing to compile or
  # run: the mappings that include it compile and run its declarations.
  "$crmmap" check "$map" 2>&1 | grep -q ': note: include-only file' && continue
  "$crmmap" compile "$map" -o "$tmp/out.mapc" 2>/dev/null || { echo "FAIL: $map does not compile"; fails=$((fails + 1)); continue; }
  walk 1 "$crmmap" run "$tmp/out.mapc" --input "$leads" --dry-run
done
echo "$runs runs, $fails failures"
[ $fails = 0 ]
