#!/bin/sh
# Installs the build into a fresh prefix, then works from that prefix alone:
# every installed header compiles on its own and is one the embedding API
# includes; examples/embed builds with
# `cc $(pkg-config --cflags --libs crmmap-vm)` and needs none of the CRM
# layer's libraries (libcurl, cJSON, SQLite, libssl, libmicrohttpd); for each
# example mapping it prints exactly what the installed `crmmap run --dry-run`
# prints, with the same exit status, and tests/install/embed_oom.c, built the
# same way, survives every allocation failing in turn (cm_alloc.h).
# usage: embed.sh CMAKE BUILD_DIR WORK_DIR SOURCE_DIR CC EXTRA_CFLAGS
set -eu
cmake=$1 build=$2 work=$3 src=$4 cc=$5 extra=$6
rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix
"$cmake" --install "$build" --prefix "$prefix" >"$work/install.log"

fail() { echo "FAIL: $*" >&2; exit 1; }
for f in bin/crmmap share/man/man1/crmmap.1 share/bash-completion/completions/crmmap; do
  [ -f "$prefix/$f" ] || fail "not installed: $f"
done
pc=$(find "$prefix" -name crmmap-vm.pc)
[ -n "$pc" ] || fail "not installed: crmmap-vm.pc"
[ -n "$(find "$prefix" -name libcrmmap_vm.a)" ] || fail "not installed: libcrmmap_vm.a"
PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_PATH
flags=$(pkg-config --cflags --libs crmmap-vm) || fail "pkg-config cannot read $pc"
case $flags in *"$prefix"*) ;; *) fail "pkg-config flags do not point into $prefix: $flags" ;; esac

warn="-std=c11 -Wall -Wextra -Werror -pedantic"
nheaders=0
for h in "$prefix"/include/crmmap/*.h; do
  printf '#include <crmmap/%s>\n' "$(basename "$h")" >"$work/one.c"
  # shellcheck disable=SC2086
  $cc $warn -fsyntax-only "$work/one.c" $(pkg-config --cflags crmmap-vm) ||
    fail "installed header $(basename "$h") does not compile on its own"
  nheaders=$((nheaders + 1))
done

# Exactly the headers the embedding programs include, and what those include.
api=$(sed -n 's|^#include <crmmap/\(.*\)>|\1|p' "$src/examples/embed/embed.c" "$src/tests/install/embed_oom.c")
need=""
while :; do
  # shellcheck disable=SC2086
  set -- $api
  [ $# -gt 0 ] || break
  h=$1; shift; api=$*
  case " $need " in *" $h "*) continue ;; esac
  [ -f "$prefix/include/crmmap/$h" ] || fail "the API needs crmmap/$h, which is not installed"
  need="$need $h"
  api="$api $(sed -n 's|^#include "\(.*\)"|\1|p' "$prefix/include/crmmap/$h")"
done
for h in "$prefix"/include/crmmap/*; do
  case " $need " in *" $(basename "$h") "*) ;; *) fail "installed but not part of the API: crmmap/$(basename "$h")" ;; esac
done

# shellcheck disable=SC2086
# --no-as-needed: every library the flags name is then in ldd's list.
$cc $extra $warn "$src/examples/embed/embed.c" -o "$work/embed" -Wl,--no-as-needed $flags ||
  fail "examples/embed does not build"
linked=" $(pkg-config --libs --static crmmap-vm) $(ldd "$work/embed" | tr '\n' ' ')"
for lib in curl cjson sqlite3 ssl microhttpd; do
  case $linked in *" -l$lib "* | *" lib$lib.so"*) fail "examples/embed links lib$lib, which the VM does not need" ;; esac
done
# shellcheck disable=SC2086
$cc $extra $warn "$src/tests/install/embed_oom.c" -o "$work/embed_oom" $flags || fail "embed_oom does not build"

records=$src/examples/records/fair-leads.ndjson
n=0
for map in "$src"/examples/*/*.map; do
  name=$(basename "$(dirname "$map")")
  "$prefix/bin/crmmap" compile "$map" -o "$work/$name.mapc"
  want=0; "$prefix/bin/crmmap" run "$work/$name.mapc" --input "$records" --dry-run >"$work/$name.want" || want=$?
  got=0; "$work/embed" "$work/$name.mapc" <"$records" >"$work/$name.got" || got=$?
  [ "$want" = "$got" ] || fail "$name: embed exits $got, crmmap run --dry-run exits $want"
  [ -s "$work/$name.want" ] || fail "$name: no dry-run output"
  diff -u "$work/$name.want" "$work/$name.got" || fail "$name: embed prints what crmmap run --dry-run does not"
  "$work/embed_oom" "$work/$name.mapc" "$records" >"$work/$name.oom" || fail "$name: embed_oom"
  echo "$name: $(cat "$work/$name.oom")"
  n=$((n + 1))
done
[ "$n" -gt 0 ] || fail "no example mapping found"
# A hook that returns breaks its contract: the library aborts, nothing else.
rc=0; "$work/embed_oom" --returning-hook "$work/$name.mapc" "$records" 2>/dev/null || rc=$?
[ "$rc" = 134 ] || fail "a returning out-of-memory hook ends with exit $rc, not SIGABRT (134)"
echo "ok: $nheaders headers, $n examples, same output from the embedded runtime"
