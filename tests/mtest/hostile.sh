#!/bin/sh
# A hostile mapping (issue 20, finding 10) under `crmmap test`, as CI runs it
# on a pull request: nested replace() past the record's memory budget, and a
# field past its output budget, each end in the runtime error at the
# expression, in bounded memory. Under `ulimit -v` so it cannot pass by
# swapping (an ASan build reserves more address space than any such limit:
# there it runs without one and says so).
# Usage: hostile.sh CRMMAP DIR (DIR: tests/mtest)
set -u
crmmap=$1 dir=$2
case $crmmap in /*) ;; *) crmmap=$PWD/$crmmap ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
export NO_COLOR=1
cd "$dir" || exit 1
limit=1000000       # KiB: a tenth of what the unbounded mapping reached
if ! (ulimit -v "$limit" && "$crmmap" --version) >/dev/null 2>&1; then
  echo "note: $crmmap does not start under ulimit -v $limit (a sanitizer build?): no limit"
  limit=unlimited
fi
# expect NAME TEXT...: `crmmap test hostile/NAME.map` exits 1 and prints each TEXT.
expect() {
  name=$1
  shift
  (ulimit -v "$limit" && exec "$crmmap" test "hostile/$name.map" "hostile/$name.test.json") >"$tmp/out" 2>&1
  got=$?
  [ "$got" = 1 ] || { echo "FAIL: $name: exit $got, want 1"; cat "$tmp/out"; fails=$((fails + 1)); }
  for text in "$@"; do
    grep -qF -- "$text" "$tmp/out" || { echo "FAIL: $name: no '$text' in:"; cat "$tmp/out"; fails=$((fails + 1)); }
  done
}
expect memory "hostile/memory.map:11:25: error[E0303]: Contact failed here" \
  "failed: \"replace: the record's values would take more than 64 MiB (the per-record memory limit, docs/run.md)\""
expect output "hostile/output.map:12:3: error[E0303]: Contact failed here" \
  "failed: \"the record's fields would send more than 16 MiB of text (the per-record output limit, docs/run.md)\""
[ "$fails" = 0 ] && echo "ok"
exit "$fails"
