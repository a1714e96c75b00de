#!/bin/sh
# `cpack -G DEB` makes crmmap_VERSION_ARCH.deb from the build: the control
# fields (Depends from dpkg-shlibdeps: the Debian packages of the libraries
# the binary links), the files (command, man page, completion, systemd unit,
# docs, examples, embedding library), then `dpkg -i` into a scratch root
# whose package database is a copy of this machine's, so the Depends must be
# met by what is installed here (no --force-depends). The installed binary
# prints its version and checks a copy of an installed example,
# and `dpkg -r` takes every file away again. Never touches the system's
# root. Exit 77 (skipped) only when dpkg-deb is missing (not Debian).
# usage: deb.sh BUILD_DIR WORK_DIR VERSION
set -eu
build=$1 work=$2 version=$3
command -v dpkg-deb >/dev/null 2>&1 || { echo "SKIP: dpkg-deb is missing: not a Debian system"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work"
cpack -G DEB -B "$work/cpack" --config "$build/CPackConfig.cmake" >"$work/cpack.log" 2>&1 \
  || { cat "$work/cpack.log"; fail "cpack -G DEB failed"; }
arch=$(dpkg --print-architecture)
deb=$work/cpack/crmmap_${version}_$arch.deb
[ -f "$deb" ] || fail "no $deb; cpack made: $(ls "$work/cpack")"

[ "$(dpkg-deb -f "$deb" Package)" = crmmap ] || fail "Package is not crmmap"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "Version is not $version"
depends=$(dpkg-deb -f "$deb" Depends)
for p in libc6 libcjson1 libcurl4 libmicrohttpd12 libsqlite3-0 libssl3 zlib1g; do
  case ", $depends," in *", $p "*|*", $p,"*) ;; *) fail "Depends lacks $p: $depends" ;; esac
done

dpkg-deb -c "$deb" | awk '{print $6}' >"$work/files"
for f in ./usr/bin/crmmap ./usr/share/man/man1/crmmap.1 ./usr/share/bash-completion/completions/crmmap \
         ./usr/lib/systemd/system/crmmap-serve.service ./usr/share/doc/crmmap/README.md \
         ./usr/share/doc/crmmap/serve.md ./usr/share/doc/crmmap/examples/salesforce/fair-leads.map \
         ./usr/lib/libcrmmap_vm.a ./usr/lib/pkgconfig/crmmap-vm.pc ./usr/include/crmmap/vm.h; do
  grep -qx "$f" "$work/files" || fail "the package lacks $f"
done
dpkg-deb -c "$deb" | awk '$2 != "root/root" {print}' | grep . && fail "files not owned by root"
dpkg-deb -c "$deb" | awk '$6 == "./usr/bin/crmmap" && $1 != "-rwxr-xr-x" {print}' | grep . && fail "crmmap is not 0755"

root=$work/root
mkdir -p "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/info"
cp /var/lib/dpkg/status "$root/var/lib/dpkg/status"
dpkg --root="$root" --log=/dev/null --force-not-root -i "$deb" >"$work/dpkg.log" 2>&1 \
  || { cat "$work/dpkg.log"; fail "dpkg -i into $root failed"; }
dpkg --root="$root" -s crmmap | grep -qx "Status: install ok installed" || fail "dpkg does not list crmmap installed"

bin=$root/usr/bin/crmmap
[ "$("$bin" --version)" = "crmmap $version" ] || fail "the installed crmmap --version: $("$bin" --version)"
# The examples read ../schemas, so they are checked where a user would: copied
# into a repository (a mapping may read only inside its git tree, docs/diagnostics.md).
cp -R "$root/usr/share/doc/crmmap/examples" "$work/examples"
mkdir "$work/examples/.git"
"$bin" check "$work/examples/salesforce/fair-leads.map" >"$work/check.out" 2>&1 \
  || { cat "$work/check.out"; fail "the installed crmmap check on the installed example"; }
bash -n "$root/usr/share/bash-completion/completions/crmmap" || fail "the installed completion is not bash"

dpkg --root="$root" --log=/dev/null --force-not-root -r crmmap >"$work/remove.log" 2>&1 \
  || { cat "$work/remove.log"; fail "dpkg -r failed"; }
left=$(find "$root" -path "$root/var" -prune -o ! -type d -print)
[ -z "$left" ] || fail "dpkg -r left files: $left"
echo "ok: $(basename "$deb"): $(wc -l <"$work/files") entries; Depends: $depends; installed, ran and removed in $root"
