#!/bin/sh
# Compiles a mapping twice, from two working directories, and compares bytes.
set -eu
crmmap=$1 map=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dir=$(dirname "$map") base=$(basename "$map")
"$crmmap" compile "$map" -o "$tmp/a.mapc"
(cd "$dir" && "$crmmap" compile "$base" -o "$tmp/b.mapc")
cmp "$tmp/a.mapc" "$tmp/b.mapc"
"$crmmap" verify "$tmp/a.mapc" >/dev/null
