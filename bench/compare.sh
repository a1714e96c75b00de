#!/bin/sh
# A refactor must not cost speed: the dry run of bench/example.map over the
# same generated leads, by two crmmap binaries (say, a Release build of the
# commit before a change and one of the change), in one go.
#
# Timing: ROUNDS rounds, each running both binaries once, the order swapped
# every round, so a neighbour's load falls on both alike; per binary the
# median wall clock and the median CPU time (user + system, which waiting
# for a busy core does not inflate), and NEW/BASE for each. Instructions:
# one run of each under callgrind on a smaller file (deterministic: the same
# binary and input give the same count, whatever the load), and their ratio.
# It also checks that both print the same dry-run output.
#
# Usage: bench/compare.sh BASE_CRMMAP NEW_CRMMAP
#   N (200000) records timed, ROUNDS (5), CALLGRIND_N (20000) records under
#   callgrind, BENCH_DIR (/tmp/crmmap-bench) for the generated files.
# Build both with -DCMAKE_BUILD_TYPE=Release. Needs valgrind (Debian package).
set -eu
[ $# -eq 2 ] || { echo "usage: $0 BASE_CRMMAP NEW_CRMMAP" >&2; exit 2; }
base=$1 new=$2
n=${N:-200000} rounds=${ROUNDS:-5} cg_n=${CALLGRIND_N:-20000}
here=$(cd "$(dirname "$0")" && pwd)
work=${BENCH_DIR:-/tmp/crmmap-bench}
mkdir -p "$work"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

leads() {
  f=$work/leads-$1.ndjson
  [ -s "$f" ] || python3 "$here/gen_leads.py" "$1" >"$f"
  echo "$f"
}
data=$(leads "$n")
cg_data=$(leads "$cg_n")
# Each binary compiles the mapping itself: the .mapc is its own format.
"$base" compile "$here/example.map" -o "$tmp/base.mapc" 2>/dev/null
"$new" compile "$here/example.map" -o "$tmp/new.mapc" 2>/dev/null

"$base" run "$tmp/base.mapc" --input "$cg_data" --dry-run >"$tmp/base.out" 2>/dev/null || true
"$new" run "$tmp/new.mapc" --input "$cg_data" --dry-run >"$tmp/new.out" 2>/dev/null || true
if cmp -s "$tmp/base.out" "$tmp/new.out"; then same=yes; else same="NO (they differ: diff the two dry runs)"; fi

# one NAME: times one dry run of the timed file, appends "NAME wall user system".
one() {
  bin=$base
  [ "$1" = new ] && bin=$new
  /usr/bin/time -f "%e %U %S" -o "$tmp/time" "$bin" run "$tmp/$1.mapc" --input "$data" --dry-run \
    >/dev/null 2>"$tmp/stderr" || true
  echo "$1 $(tail -n 1 "$tmp/time")" >>"$tmp/times"
}
: >"$tmp/times"
i=1
while [ "$i" -le "$rounds" ]; do
  if [ $((i % 2)) -eq 1 ]; then one base; one new; else one new; one base; fi
  i=$((i + 1))
done

# instructions BIN MAPC: the instruction count of one dry run under callgrind.
instructions() {
  valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$1" run "$2" --input "$cg_data" --dry-run \
    >/dev/null 2>"$tmp/cg.err" || true
  sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$tmp/cg.out"
}
ir_base=$(instructions "$base" "$tmp/base.mapc")
ir_new=$(instructions "$new" "$tmp/new.mapc")

echo "dry run of bench/example.map: $n records ($(wc -c <"$data") bytes) timed, $rounds rounds interleaved"
echo "same dry-run output ($cg_n records): $same"
awk -v ir_base="$ir_base" -v ir_new="$ir_new" -v cg_n="$cg_n" '
  function median(a, k,    i, j, t) {
    for (i = 2; i <= k; i++)
      for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
  }
  $1 == "base" { bw[++nb] = $2; bc[nb] = $3 + $4 }
  $1 == "new" { nw[++nn] = $2; nc[nn] = $3 + $4 }
  END {
    mbw = median(bw, nb); mbc = median(bc, nb); mnw = median(nw, nn); mnc = median(nc, nn)
    printf "%-22s %12s %12s %10s\n", "", "base", "new", "new/base"
    printf "%-22s %12.2f %12.2f %10.3f\n", "median wall s", mbw, mnw, mnw / (mbw > 0 ? mbw : 0.001)
    printf "%-22s %12.2f %12.2f %10.3f\n", "median CPU s", mbc, mnc, mnc / (mbc > 0 ? mbc : 0.001)
    printf "%-22s %12d %12d %10.4f\n", "instructions (" cg_n ")", ir_base, ir_new, ir_new / (ir_base > 0 ? ir_base : 1)
  }' "$tmp/times"
