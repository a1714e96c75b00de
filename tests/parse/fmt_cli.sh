#!/bin/sh
# crmmap fmt's modes: stdout, --check, -w (atomic, keeps the file mode),
# nothing written on syntax errors, usage errors. Usage: fmt_cli.sh CRMMAP
set -u
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 2
fails=0
expect() {  # expect DESCRIPTION EXPECTED-STATUS ACTUAL-STATUS
    if [ "$2" != "$3" ]; then
        echo "FAIL: $1: expected exit $2, got $3"
        fails=$((fails + 1))
    fi
}
same() {    # same DESCRIPTION FILE-A FILE-B
    if ! cmp -s "$2" "$3"; then
        echo "FAIL: $1: $2 and $3 differ"
        diff -u "$2" "$3"
        fails=$((fails + 1))
    fi
}

printf 'mapping   "m"\nentity A create { X=1 }\n' > messy.map
printf 'mapping "m"\n\nentity A create {\n  X = 1\n}\n' > canonical.map
printf 'mapping "m"\nentity A create { X = }\n' > broken.map
cp messy.map messy.orig
cp broken.map broken.orig
chmod 640 messy.map

"$bin" fmt messy.map > out.map 2> err.txt; expect "fmt to stdout" 0 $?
same "stdout is the canonical form" out.map canonical.map
same "stdout mode leaves the file alone" messy.map messy.orig

"$bin" fmt --check canonical.map > out.txt 2>&1; expect "--check on a canonical file" 0 $?
[ -s out.txt ] && { echo "FAIL: --check printed for a canonical file"; cat out.txt; fails=$((fails + 1)); }

"$bin" fmt --check canonical.map messy.map > out.txt; expect "--check with a file to change" 1 $?
printf 'messy.map\n' > want.txt
same "--check names exactly the files that would change" out.txt want.txt
same "--check writes nothing" messy.map messy.orig

"$bin" fmt -w messy.map canonical.map > out.txt 2>&1; expect "-w" 0 $?
[ -s out.txt ] && { echo "FAIL: -w printed something"; cat out.txt; fails=$((fails + 1)); }
same "-w rewrote the file in canonical form" messy.map canonical.map
[ "$(stat -c %a messy.map)" = 640 ] || { echo "FAIL: -w changed the file mode"; fails=$((fails + 1)); }
ls | grep -q "\.tmp-" && { echo "FAIL: -w left a temporary file"; ls; fails=$((fails + 1)); }
"$bin" fmt --check messy.map; expect "--check after -w" 0 $?

ln -s canonical.map link.map
printf 'mapping "m"\nentity A create { X = 1 }\n' > canonical.map
"$bin" fmt -w link.map; expect "-w through a symbolic link" 0 $?
[ -L link.map ] || { echo "FAIL: -w replaced the symbolic link"; fails=$((fails + 1)); }
"$bin" fmt --check canonical.map; expect "-w rewrote the link's target" 0 $?

cp messy.orig messy.map
"$bin" fmt -w messy.map broken.map > out.txt 2> err.txt; expect "-w with a syntax error" 1 $?
same "-w writes no file when any has an error" messy.map messy.orig
same "-w leaves the broken file alone" broken.map broken.orig
grep -q '^broken.map:2:23: error\[E0001\]' err.txt || { echo "FAIL: no diagnostic for broken.map"; cat err.txt; fails=$((fails + 1)); }
"$bin" fmt broken.map > out.txt 2>/dev/null; expect "stdout mode with a syntax error" 1 $?
[ -s out.txt ] && { echo "FAIL: printed a partial file"; fails=$((fails + 1)); }
"$bin" fmt --format json broken.map > out.txt 2>/dev/null; expect "--format json" 1 $?
grep -q '"code": *"E0001"' out.txt || { echo "FAIL: --format json"; cat out.txt; fails=$((fails + 1)); }

"$bin" fmt - < messy.orig > out.map; expect "fmt - (stdin)" 0 $?
printf 'mapping "m"\n\nentity A create {\n  X = 1\n}\n' > want.map
same "stdin to stdout" out.map want.map
"$bin" fmt missing.map 2> err.txt; expect "a missing file" 1 $?
grep -q '^missing.map: error\[E0001\]: cannot read the file' err.txt || { echo "FAIL: missing file message"; cat err.txt; fails=$((fails + 1)); }

"$bin" fmt > /dev/null 2>&1; expect "no file" 2 $?
"$bin" fmt --check -w messy.map > /dev/null 2>&1; expect "--check with -w" 2 $?
"$bin" fmt -w - < messy.map > /dev/null 2>&1; expect "-w on stdin" 2 $?
"$bin" fmt --bogus messy.map > /dev/null 2>&1; expect "unknown option" 2 $?
"$bin" fmt --help > out.txt; expect "--help" 0 $?
grep -q 'Usage: crmmap fmt' out.txt || { echo "FAIL: --help text"; fails=$((fails + 1)); }

[ $fails -eq 0 ] && echo ok
exit $((fails > 0))
