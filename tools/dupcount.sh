#!/usr/bin/env bash
# Counts the duplicate-code pairs in the product sources (runtime, compiler,
# cli, grammar) of the committed tree, as issue 14 measures them: tests, tools
# and benches repeat on purpose and do not count. It archives HEAD, so commit
# first. Prints only; `duplicates` is a dev-machine tool, so without it the
# script says so and exits 0 (it is not a test and must not fail CI).
# Usage: bash tools/dupcount.sh [rows]   (rows: how many pairs to list, default 100)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v duplicates >/dev/null 2>&1; then
  echo "dupcount: the 'duplicates' command is not on PATH; nothing measured"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git archive HEAD runtime compiler cli grammar | tar -x -C "$tmp"
cd "$tmp"
git init -q
git add -A
git -c user.email=dupcount@localhost -c user.name=dupcount commit -qm tree
duplicates --most "${1:-100}" --seconds 120
