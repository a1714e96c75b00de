#!/bin/sh
# Load test of `crmmap serve` (docs/serve.md, "Figures"): wrk posts one new
# lead per request (bench/serve_post.lua) from C connections for S seconds
# to serve on loopback, which stores each in its inbox before answering 202
# and transfers them to tools/crmserver in the background. Prints accepted
# requests/s, accept latency (p50, p99, max), the records that reached the
# CRM and the average number of records per CRM request.
# Bounded: wrk stops after S seconds; the drain afterwards waits at most 120 s.
# Usage: bench/serve_load.sh [S] [C] [SERVE FLAGS...]   (S: 10 seconds; C: 32
# connections; the flags go to serve, e.g. --retain 0 to prune while loaded)
# Needs build/crmmap (or CRMMAP=PATH); installs wrk (Debian package) when it is missing.
set -eu
secs=${1:-10}
conns=${2:-32}
[ $# -ge 2 ] && shift 2 || shift $#
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
crmmap=${CRMMAP:-$root/build/crmmap}
[ -x "$crmmap" ] || { echo "serve_load: build crmmap first (cmake --build build)" >&2; exit 2; }
if ! command -v wrk >/dev/null; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
work=$(mktemp -d /tmp/crmmap-serve-load.XXXXXX)
crm_pid=""; serve_pid=""
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  [ -n "$crm_pid" ] && kill "$crm_pid" 2>/dev/null && wait "$crm_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

python3 "$root/tools/crmserver/crmserver.py" --port 0 --token T --corpus "$root/tests/corpus" >"$work/crm.out" &
crm_pid=$!
for _ in $(seq 50); do [ -s "$work/crm.out" ] && break; sleep 0.1; done
crm_port=$(awk '/^PORT/ {print $2}' "$work/crm.out")

export WEBHOOK_SECRET=bench-secret-0123456789abcdef0123456789 CRM_TOKEN=T
# The file exists before serve starts writing it: the wait below reads it at once.
: >"$work/serve.err"
"$crmmap" serve "$here/serve_load.map" --listen 127.0.0.1:0 --plain-http --auth-env WEBHOOK_SECRET \
  --url "http://127.0.0.1:$crm_port" --token-env CRM_TOKEN --state-dir "$work/state" "$@" 2>"$work/serve.err" &
serve_pid=$!
url=""
for _ in $(seq 100); do
  url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$work/serve.err")
  [ -n "$url" ] && break; sleep 0.1
done
[ -n "$url" ] || { cat "$work/serve.err" >&2; exit 1; }

wrk -t2 -c"$conns" -d"${secs}s" --timeout 10s -s "$here/serve_post.lua" "$url/records" >"$work/wrk.out"
status() { curl -s -H "Authorization: $WEBHOOK_SECRET" "$url/status"; }
for _ in $(seq 1200); do
  [ "$(status | python3 -c 'import json,sys; print(json.load(sys.stdin)["queue"]["pending"])')" = 0 ] && break
  sleep 0.1
done
status >"$work/status.json"
curl -s "http://127.0.0.1:$crm_port/__admin/state" >"$work/state.json"
python3 - "$work/wrk.out" "$work/status.json" "$work/state.json" "$conns" <<'PY'
import json, re, sys
wrk = dict(re.findall(r"(\w+)=([\d.]+)", open(sys.argv[1]).read().split("WRK", 1)[1]))
st, crm = json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
secs, reqs, bad = float(wrk["seconds"]), int(wrk["requests"]), int(wrk["not202"])
contacts = len(crm["records"]["salesforce"].get("Contact", {}))
print("connections          %s" % sys.argv[4])
print("requests             %d in %.1f s, %d not answered 202" % (reqs, secs, bad))
print("accepted             %.0f requests/s (one record each)" % ((reqs - bad) / secs))
print("accept latency       p50 %s ms, p99 %s ms, max %s ms" % (wrk["p50_ms"], wrk["p99_ms"], wrk["max_ms"]))
print("pending after drain  %d" % st["queue"]["pending"])
print("in the CRM           %d contacts (accepted %d)" % (contacts, st["records"]["accepted"]))
print("CRM requests         %d, %.1f records per request (%d engine rounds, %.1f records each)" % (
    st["crm"]["requests"], st["records"]["sent"] / max(st["crm"]["requests"], 1), st["crm"]["batches"],
    st["crm"]["average_batch"]))
r = st["retention"]
print("retention            %d s: %d rows pruned in %d steps (adding %.2f ms to a commit at most), %d kept" % (
    r["retain_s"], r["pruned"], r["steps"], r["step_max_ms"], r["kept"]))
PY
