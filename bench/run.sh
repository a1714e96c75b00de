#!/bin/sh
# The benchmark (issue 4): on one generated file of N snapADDY leads, runs
# crmmap's dry run of example.map, the cJSON parse-and-print baseline, and
# jq and gojq with example.jq; prints records/s, MB/s, peak RSS and how many
# times faster crmmap is. Usage: bench/run.sh CRMMAP [N]   (N: 1000000)
# Build crmmap with -DCMAKE_BUILD_TYPE=Release for figures worth quoting.
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
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" <"$data" >/dev/null 2>"$work/stderr" || true
  set -- $(tail -n 1 "$work/time")
  echo "$name $1 $2" >>"$work/results"
}
: >"$work/results"
measure crmmap "$crmmap" run "$work/example.mapc" --input - --dry-run
measure baseline "$work/baseline"
measure jq jq -nc -f "$here/example.jq"
measure gojq gojq -nc -f "$here/example.jq"
awk -v n="$n" -v bytes="$bytes" '
  { name[NR] = $1; secs[NR] = $2 < 0.001 ? 0.001 : $2; rss[NR] = $3 }
  END {
    printf "%-9s %9s %12s %9s %10s %14s\n", "program", "seconds", "records/s", "MB/s", "peak RSS", "crmmap is x faster"
    for (i = 1; i <= NR; i++)
      printf "%-9s %9.2f %12.0f %9.1f %7.1f MB %14.2f\n", name[i], secs[i], n / secs[i], bytes / secs[i] / 1e6,
             rss[i] / 1024, secs[i] / secs[1]
  }' "$work/results"
