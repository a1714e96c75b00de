#!/usr/bin/env bash
# The main job on the bundled examples: build crmmap, check every example
# mapping against its committed field definitions and confirm that each is in
# the canonical layout of `crmmap fmt`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
shopt -s nullglob
maps=(examples/*/*.map)
if ((${#maps[@]} == 0)); then
  echo "demo: no example mappings yet" >&2
  exit 1
fi
for m in "${maps[@]}"; do
  echo "== crmmap check $m"
  ./build/crmmap check "$m"
done
echo "== crmmap fmt --check (every example is in canonical layout)"
./build/crmmap fmt --check "${maps[@]}"
echo "demo: all example mappings check and are formatted"
