#!/usr/bin/env bash
# The commands that read untrusted mappings never open a socket: runs check,
# compile, fmt, doc, test, verify, disasm and run --dry-run
# on every example under strace and asserts the trace holds no socket() or
# connect() call. A control run (bash opening a TCP connection) proves the
# trace would show one.
# Usage: no_network.sh CRMMAP EXAMPLES_DIR
set -u
crmmap=$1 examples=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fails=0

# Runs "$@" under strace; the calls it made to socket/connect go to $tmp/trace.
# LeakSanitizer cannot run under ptrace: leaks are the other tests' business.
traced() {
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -qq -e trace=socket,connect -e signal=none -o "$tmp/trace" "$@" >/dev/null 2>"$tmp/err"
}

traced bash -c 'exec 3<>/dev/tcp/127.0.0.1/9'
if ! grep -q '^[0-9]* *socket(' "$tmp/trace"; then
  echo "FAIL: strace does not see the control's socket() call"; cat "$tmp/err"; exit 1
fi

for map in "$examples"/*/*.map; do
  name=$(basename "$(dirname "$map")")
  cmds=("check $map" "compile $map -o $tmp/$name.mapc" "fmt $map" "doc $map -o $tmp/$name.html" "test $map"
        "verify $tmp/$name.mapc" "disasm $tmp/$name.mapc"
        "run $tmp/$name.mapc --input $examples/records/fair-leads.ndjson --dry-run")
  for cmd in "${cmds[@]}"; do
    # shellcheck disable=SC2086 # the command's words
    traced "$crmmap" $cmd; rc=$?
    if [ -s "$tmp/trace" ]; then
      echo "FAIL: crmmap $cmd opened a socket:"; cat "$tmp/trace"; fails=$((fails + 1))
    elif [ $rc -ge 2 ] && [ $rc != 3 ]; then
      echo "FAIL: crmmap $cmd exited $rc"; sed -n 1,10p "$tmp/err"; fails=$((fails + 1))
    else
      echo "ok: crmmap $cmd (exit $rc, no socket)"
    fi
  done
done
[ $fails = 0 ]
