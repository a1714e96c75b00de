#!/bin/sh
# Reader throughput: on one generated file of N snapADDY leads (gen_leads.py),
# one hyperfine run compares
#   reader-walk   the record reader parsing every record and walking its tree
#   reader-print  the same, also writing each record back as compact JSON
#   jq, gojq      `jq -c .` and `gojq -c .` (parse and print back)
# and, on the same leads as a JSON array and as CSV, the reader's walk alone.
# Prints hyperfine's table, then per command the median wall time and the
# mean CPU time (user + system), each with MB/s and ratios against jq and gojq.
# Usage: bench/reader_speed.sh [N] [RUNS]   (N: 100000 leads, about 100 MB; RUNS: 3)
set -eu
n=${1:-100000}
runs=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
work=${BENCH_DIR:-/tmp/crmmap-bench}
mkdir -p "$work"
data=$work/leads-$n.ndjson
[ -s "$data" ] || python3 "$here/gen_leads.py" "$n" >"$data"
[ -s "$work/leads-$n.json" ] || sed '1s/^/[/; $!s/$/,/; $s/$/]/' "$data" >"$work/leads-$n.json"
[ -s "$work/leads-$n.csv" ] || python3 - "$data" >"$work/leads-$n.csv" <<'PY'
import csv, json, sys
def flat(obj, prefix=""):
    for k, v in obj.items():
        if isinstance(v, dict):
            yield from flat(v, prefix + k + ".")
        else:
            yield prefix + k, ";".join(v) if isinstance(v, list) else ("" if v is None else str(v))
rows = [dict(flat(json.loads(line))) for line in open(sys.argv[1], encoding="utf-8")]
w = csv.DictWriter(sys.stdout, fieldnames=list(rows[0].keys()), lineterminator="\r\n")
w.writeheader()
w.writerows(rows)
PY
bench=$work/reader_bench
cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -I"$root/runtime/vm" -I"$root/runtime/base" -o "$bench" "$here/reader_bench.c" \
   "$root"/runtime/vm/reader*.c "$root/runtime/base/cm_alloc.c" "$root/runtime/base/cm_buf.c" \
   "$root/runtime/base/cm_utf8.c" -lcjson -lm
bytes=$(wc -c <"$data")
echo "input: $n leads, $bytes bytes ($data)"
"$bench" "$data"
hyperfine --runs "$runs" --warmup 1 --export-json "$work/reader_speed.json" \
  -n reader-walk "$bench $data" \
  -n reader-print "$bench --print $data >/dev/null" \
  -n jq "jq -c . $data >/dev/null" \
  -n gojq "gojq -c . $data >/dev/null" \
  -n reader-walk-array "$bench $work/leads-$n.json" \
  -n reader-walk-csv "$bench $work/leads-$n.csv"
python3 - "$work/reader_speed.json" "$n" "$data" "$work/leads-$n.json" "$work/leads-$n.csv" <<'PY'
import json, os, sys
results = json.load(open(sys.argv[1]))["results"]
res = {r["command"]: r["median"] for r in results}
cpu = {r["command"]: r["user"] + r["system"] for r in results}   # means; a busy machine does not inflate them
n = int(sys.argv[2])
size = {name: os.path.getsize(sys.argv[3]) for name in res}
size["reader-walk-array"] = os.path.getsize(sys.argv[4])
size["reader-walk-csv"] = os.path.getsize(sys.argv[5])
print(f"{'command':18} {'median s':>9} {'MB/s':>7} {'records/s':>10} {'vs jq':>6} {'vs gojq':>7}"
      f" {'CPU s':>7} {'CPU MB/s':>8} {'vs jq':>6} {'vs gojq':>7}")
for name, t in res.items():
    c = cpu[name]
    print(f"{name:18} {t:9.3f} {size[name] / 1e6 / t:7.1f} {n / t:10.0f} {res['jq'] / t:5.1f}x {res['gojq'] / t:6.1f}x"
          f" {c:7.3f} {size[name] / 1e6 / c:8.1f} {cpu['jq'] / c:5.1f}x {cpu['gojq'] / c:6.1f}x")
PY
