#!/usr/bin/env bash
# Runs one libFuzzer target for a while: tools/fuzz.sh TARGET [SECONDS]
# (TARGET as in tests/fuzz/CMakeLists.txt, e.g. parse). Builds with clang,
# -fsanitize=fuzzer,address,undefined into build-fuzz/, seeds from
# tests/fuzz/corpus/TARGET/ (never written to: new inputs go to
# build-fuzz/corpus/TARGET/) with tests/fuzz/dict/TARGET.dict if present.
# A crash leaves its input in build-fuzz/crashes/TARGET/ and exits non-zero;
# once fixed, keep the input in tests/fuzz/crashes/TARGET/ so ctest replays it.
# tools/fuzz.sh --build builds every target in one parallel step and stops
# (tools/test.sh, before it runs each for a while).
set -euo pipefail
cd "$(dirname "$0")/.."
if (($# < 1)); then
  echo "usage: tools/fuzz.sh TARGET [SECONDS] | tools/fuzz.sh --build" >&2
  exit 2
fi

# Configures build-fuzz with clang and builds the fuzz_NAME of each NAME given.
build() {
  local cc=${FUZZ_CC:-$(command -v clang || command -v clang-14)} names=()
  for t in "$@"; do names+=("fuzz_$t"); done
  cmake -S . -B build-fuzz -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCRMMAP_FUZZ=ON >/dev/null
  cmake --build build-fuzz --target "${names[@]}" -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
}

if [ "$1" = --build ]; then
  build $(ls tests/fuzz/corpus)
  exit 0
fi
target=$1
seconds=${2:-60}
seeds=tests/fuzz/corpus/$target
if [ ! -d "$seeds" ]; then
  echo "fuzz.sh: no seed corpus $seeds (targets: $(ls tests/fuzz/corpus | tr '\n' ' '))" >&2
  exit 2
fi
build "$target"
work=build-fuzz/corpus/$target
crashes=build-fuzz/crashes/$target
mkdir -p "$work" "$crashes"
flags=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192
       -print_final_stats=1 -artifact_prefix="$crashes/")
[ -f "tests/fuzz/dict/$target.dict" ] && flags+=(-dict="tests/fuzz/dict/$target.dict")
echo "== fuzzing $target for ${seconds}s"
if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "build-fuzz/tests/fuzz/fuzz_$target" "${flags[@]}" "$work" "$seeds"; then
  echo "fuzz.sh: $target found a bug; its input is in $crashes/" >&2
  exit 1
fi
