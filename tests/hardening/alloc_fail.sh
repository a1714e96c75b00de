#!/usr/bin/env bash
# Allocation failures: runs each command on each example mapping with
# CRMMAP_FAIL_ALLOC=N (the Nth allocation fails) for N = 1, 2, ... until the
# command completes. Every failed run must end with the clean out-of-memory
# error (exit 4): no crash, no signal, no sanitizer or leak report.
#
# Usage: alloc_fail.sh CRMMAP EXAMPLES_DIR [STRIDE]
# STRIDE 1 tries every N (minutes); a larger stride tries every N up to 100,
# then every STRIDE-th N, then the last failing N exactly, which keeps the
# ctest run short. Commands not built yet (compile, run) are skipped.
set -u
crmmap=$1 examples=$2 stride=${3:-1}
cap=200000                      # far beyond any example's allocation count
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=halt_on_error=1:exitcode=98
fails=0 runs=0
printf '{"email":"ada@example.com","firstName":"Ada","lastName":"Lovelace"}\n' >"$tmp/in.ndjson"

has_command() { "$crmmap" "$1" --help >/dev/null 2>&1; }

# One run with the Nth allocation failing. 0: completed, 4: clean OOM, 1: bad.
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
  if grep -q 'out of memory' "$tmp/err"; then echo "FAIL: N=$n $*: out of memory but exit $rc"; return 1; fi
  return 0                      # completed (0 or 1: the allocation was never reached)
}

# Walks N upwards until the command completes; then checks the last failing N.
walk() {
  local n=1 last=0 rc
  while [ $n -le $cap ]; do
    one $n "$@"; rc=$?
    [ $rc = 1 ] && { fails=$((fails + 1)); return; }
    if [ $rc = 0 ]; then
      # The stride may have stepped over failing N: try those just below.
      local m=$((n - 1))
      while [ $m -gt $last ] && [ $m -gt $((n - stride)) ]; do
        one $m "$@"; rc=$?
        [ $rc = 1 ] && { fails=$((fails + 1)); return; }
        [ $rc = 4 ] && break
        m=$((m - 1))
      done
      echo "ok: $* completes after $((m > last ? m : last)) allocations"
      return
    fi
    last=$n
    if [ $n -lt 100 ]; then n=$((n + 1)); else n=$((n + stride)); fi
  done
  echo "FAIL: $* still failing at N=$cap"; fails=$((fails + 1))
}

maps=$(find "$examples" -name '*.map' | sort)
[ -n "$maps" ] || { echo "FAIL: no example mappings under $examples"; exit 1; }
for map in $maps; do
  walk "$crmmap" check "$map"
  if has_command compile; then walk "$crmmap" compile "$map" -o "$tmp/out.mapc"; fi
  if has_command run; then walk "$crmmap" run "$map" --input "$tmp/in.ndjson" --dry-run; fi
done
echo "$runs runs, $fails failures"
[ $fails = 0 ]
