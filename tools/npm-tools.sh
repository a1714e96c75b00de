#!/usr/bin/env bash
# Installs the npm tools the tests use (tools/node/package-lock.json: ajv-cli
# with ajv-formats, @stoplight/prism-cli) into DIR, normally BUILD/node_tools.
# Reinstalls only when the lock file changed, so reruns take no time. No
# network or no npm is a failure, never a silent skip: the tests that need
# these tools must not pass without running them.
# usage: npm-tools.sh DIR
set -euo pipefail
dir=$1
src=$(cd "$(dirname "$0")/node" && pwd)
command -v npm >/dev/null || { echo "npm-tools: npm is not installed (tools/deps.sh installs it)" >&2; exit 1; }
mkdir -p "$dir"
stamp=$dir/.installed-lock
if [ -f "$stamp" ] && cmp -s "$stamp" "$src/package-lock.json" &&
   [ -x "$dir/node_modules/.bin/ajv" ] && [ -x "$dir/node_modules/.bin/prism" ]; then
  echo "npm-tools: up to date in $dir"
  exit 0
fi
rm -f "$stamp"
cp "$src/package.json" "$src/package-lock.json" "$dir/"
# The lock pins every version; ci installs exactly it.
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) ||
  { echo "npm-tools: npm ci failed in $dir: is the npm registry reachable?" >&2; exit 1; }
cp "$src/package-lock.json" "$stamp"
echo "npm-tools: installed $(cd "$dir" && node_modules/.bin/prism --version | tail -1 | sed 's/^/prism /'), ajv-cli into $dir"
