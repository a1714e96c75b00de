#!/usr/bin/env bash
# Builds crmmap and runs the whole test suite: a normal build, then the same
# suite under AddressSanitizer + UndefinedBehaviorSanitizer. With CI=true it
# also runs each fuzz target briefly. Exit status: non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
# Many tests spend their time waiting on a local server, a timer or a child
# process: one test more than cores keeps both busy.
test_jobs=$((jobs + 1))

echo "== build and test (RelWithDebInfo)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --no-tests=error --output-on-failure -j"$test_jobs"

echo "== build and test under ASan + UBSan (${SECONDS} s so far)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCRMMAP_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --no-tests=error --output-on-failure -j"$test_jobs"

if [ "${CI:-}" = "true" ] && [ -x tools/fuzz.sh ]; then
  echo "== short fuzz runs (${SECONDS} s so far)"
  bash tools/fuzz.sh --build     # all targets at once; each run below finds its own built
  for corpus in tests/fuzz/corpus/*/; do
    target=$(basename "$corpus")
    bash tools/fuzz.sh "$target" "${FUZZ_SECONDS:-20}"
  done
fi
echo "all tests passed (${SECONDS} s)"
