#!/bin/sh
# The commands' contracts: exit codes, refusing bad files, no output on errors.
# Usage: cli.sh CRMMAP DIR (DIR: tests/vm)
set -u
crmmap=$1 dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
# expect STATUS DESCRIPTION COMMAND...: the command must exit with STATUS.
expect() {
  want=$1 what=$2
  shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL: $what: exit $got, want $want"; cat "$tmp/err"; fails=$((fails + 1))
  fi
}
# has FILE TEXT: FILE must contain TEXT.
has() {
  grep -qF -- "$2" "$1" || { echo "FAIL: $1 lacks '$2':"; cat "$1"; fails=$((fails + 1)); }
}

map=$dir/cases/salesforce.map
expect 0 "compile" "$crmmap" compile "$map" -o "$tmp/a.mapc"
expect 0 "verify a good file" "$crmmap" verify "$tmp/a.mapc"
has "$tmp/out" "ok: format 1.4, 2 entities"

# A flipped byte in the middle: the checksum catches it.
size=$(wc -c <"$tmp/a.mapc")
head -c $((size / 2)) "$tmp/a.mapc" >"$tmp/bad.mapc"
printf 'Z' >>"$tmp/bad.mapc"
tail -c $((size - size / 2 - 1)) "$tmp/a.mapc" >>"$tmp/bad.mapc"
expect 1 "verify a corrupted file" "$crmmap" verify "$tmp/bad.mapc"
has "$tmp/err" "checksum mismatch"
head -c 30 "$tmp/a.mapc" >"$tmp/short.mapc"
expect 1 "verify a truncated file" "$crmmap" verify "$tmp/short.mapc"
has "$tmp/err" "truncated"
expect 1 "run refuses a corrupted file" "$crmmap" run "$tmp/bad.mapc" --input /dev/null --dry-run
expect 1 "disasm refuses a corrupted file" "$crmmap" disasm "$tmp/bad.mapc"
expect 1 "verify a missing file" "$crmmap" verify "$tmp/none.mapc"

# A mapping with check errors: exit 1 and no .mapc written.
cp -r "$dir/cases/schemas" "$tmp/"
sed 's/FirstName    = firstName/FristName = firstName/' "$map" >"$tmp/broken.map"
expect 1 "compile refuses a mapping with errors" "$crmmap" compile "$tmp/broken.map" -o "$tmp/broken.mapc"
has "$tmp/err" "E0102"
[ ! -e "$tmp/broken.mapc" ] || { echo "FAIL: a .mapc was written despite errors"; fails=$((fails + 1)); }

# Usage errors.
expect 4 "run without a CRM to send to" env -u CRMMAP_URL -u CRMMAP_CONFIG "$crmmap" run "$tmp/a.mapc" --input /dev/null
has "$tmp/err" "no CRM base URL given"
expect 2 "run without --input" "$crmmap" run "$tmp/a.mapc" --dry-run
expect 2 "compile without a file" "$crmmap" compile
expect 2 "verify with two files" "$crmmap" verify "$tmp/a.mapc" "$tmp/a.mapc"
expect 0 "run --help" "$crmmap" run --help

# A .mapc and its .map give the same dry run; disasm reads a .map too.
expect 3 "run the .mapc" "$crmmap" run "$tmp/a.mapc" --input "$dir/cases/csv.csv" --dry-run
mv "$tmp/out" "$tmp/from_mapc"
expect 3 "run the .map" "$crmmap" run "$map" --input "$dir/cases/csv.csv" --dry-run
cmp -s "$tmp/out" "$tmp/from_mapc" || { echo "FAIL: .map and .mapc runs differ"; fails=$((fails + 1)); }
expect 0 "disasm a .map" "$crmmap" disasm "$map"
has "$tmp/out" "Email        = lower(trim(email))"
expect 0 "empty input" "$crmmap" run "$tmp/a.mapc" --input /dev/null --dry-run
[ ! -s "$tmp/out" ] || { echo "FAIL: output for empty input"; fails=$((fails + 1)); }
# An input that cannot be read on: the position, as docs/input.md promises
# for every input error; no "record 0" for what comes before the first.
printf '[{"email": "a@b.c"},' >"$tmp/open.json"
expect 1 "run: an unclosed JSON array is fatal" "$crmmap" run "$tmp/a.mapc" --input "$tmp/open.json" --dry-run
has "$tmp/err" "open.json:1:21: error: record 2: the input ends early"
printf 'email,"last\n' >"$tmp/header.csv"
expect 1 "run: an unclosed quote in a CSV header is fatal" "$crmmap" run "$tmp/a.mapc" --input "$tmp/header.csv" --dry-run
has "$tmp/err" "header.csv:1:7: error: this quoted cell is not closed"

[ $fails = 0 ] && echo ok
exit $fails
