#!/bin/sh
# A machine without iso-codes' files stops at configure, saying which files
# are missing and which Debian package brings them: with nothing (the
# package not installed) and with the list but not its translations (a
# slim image whose dpkg leaves out /usr/share/locale). The first is asked
# of the script CMake runs, the second of CMake itself.
# usage: iso_codes.sh CMAKE PYTHON SOURCE_DIR WORK_DIR
set -eu
cmake=$1 python=$2 src=$3 work=$4
rm -rf "$work"
mkdir -p "$work/none" "$work/bare/share/iso-codes/json"
fail() { echo "FAIL: $*" >&2; exit 1; }

if "$python" "$src/tools/gen_countries.py" --check "$work/none" 2>"$work/none.err"; then
  fail "--check passed without iso-codes"
fi
grep -q "apt-get install iso-codes" "$work/none.err" || fail "no package named: $(cat "$work/none.err")"
grep -q "$work/none/share/iso-codes/json/iso_3166-1.json" "$work/none.err" || fail "no file named"

echo '{"3166-1": []}' >"$work/bare/share/iso-codes/json/iso_3166-1.json"
if "$cmake" -S "$src" -B "$work/build" -DISO_CODES_PREFIX="$work/bare" >"$work/cmake.out" 2>&1; then
  fail "configure passed without iso-codes' translations"
fi
tr -s ' \n' ' ' <"$work/cmake.out" >"$work/cmake.flat"
for want in "needs Debian's package iso-codes" "$work/bare/share/locale/de/LC_MESSAGES/iso_3166-1.mo" \
            "path-include=/usr/share/locale/*/LC_MESSAGES/iso_3166-1.mo" "apt-get install --reinstall iso-codes"; do
  grep -qF "$want" "$work/cmake.flat" || fail "configure did not say \"$want\": $(cat "$work/cmake.out")"
done
if grep -q Traceback "$work/cmake.out"; then
  fail "a traceback instead of a message"
fi
echo ok
