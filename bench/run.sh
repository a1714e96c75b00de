#!/bin/sh
# The benchmark (issue 4): on one generated file of N snapADDY leads, runs
# crmmap's dry run of example.map, the cJSON parse-and-print baseline, and
# jq and gojq with example.jq; prints records/s, MB/s, peak RSS and how many
# times faster crmmap is, by wall clock and by CPU time (user + system: on a
# busy machine the wall clock includes waiting for a core, CPU time does not).
# Usage: bench/run.sh CRMMAP [N]   (N: 1000000)
# Build crmmap with -DCMAKE_BUILD_TYPE=Release for figures worth quoting.
# Needs jq and gojq (Debian packages of the same names).
set -eu
crmmap=$1
n=${2:-1000000}
here=$(cd "$(dirname "$0")" && pwd)
work=${BENCH_DIR:-/tmp/crmmap-bench}
mkdir -p "$work"
data=$work/leads-$n.ndjson
[ -s "$data" ] || python3 "$here/gen_leads.py" "$n" >"$data"
cc -O2 -o "$work/baseline" "$here/baseline.c" -lcjson
"$crmmap" compile "$here/example.map" -o "$work/example.mapc" 2>/dev/null
bytes=$(wc -c <"$data")
echo "input: $n records, $bytes bytes ($data); example.mapc: $(wc -c <"$work/example.mapc") bytes"

# measure NAME COMMAND...: stdin is the data, stdout is discarded.
measure() {
  name=$1
  shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" <"$data" >/dev/null 2>"$work/stderr" || true
  set -- $(tail -n 1 "$work/time")
  echo "$name $1 $2 $3 $4" >>"$work/results"
}
: >"$work/results"
measure crmmap "$crmmap" run "$work/example.mapc" --input - --dry-run
measure baseline "$work/baseline"
measure jq jq -nc -f "$here/example.jq"
measure gojq gojq -nc -f "$here/example.jq"
awk -v n="$n" -v bytes="$bytes" '
  function at_least(x) { return x < 0.001 ? 0.001 : x }
  { name[NR] = $1; secs[NR] = at_least($2); cpu[NR] = at_least($3 + $4); rss[NR] = $5 }
  END {
    printf "%-9s %8s %11s %7s %9s %8s %8s %11s %7s %8s\n", "program", "wall s", "records/s", "MB/s",
           "peak RSS", "crmmap", "CPU s", "records/s", "MB/s", "crmmap"
    for (i = 1; i <= NR; i++)
      printf "%-9s %8.2f %11.0f %7.1f %6.1f MB %7.2fx %8.2f %11.0f %7.1f %7.2fx\n", name[i], secs[i],
             n / secs[i], bytes / secs[i] / 1e6, rss[i] / 1024, secs[i] / secs[1], cpu[i], n / cpu[i],
             bytes / cpu[i] / 1e6, cpu[i] / cpu[1]
    print "(crmmap: how many times faster crmmap is than the program, by wall clock and by CPU time)"
  }' "$work/results"
