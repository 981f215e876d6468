#!/usr/bin/env bash
# Builds each libFuzzer target under tests/fuzz with clang (ASan and UBSan on) into BUILD_DIR/fuzz
# and runs it for FUZZ_SECONDS (default 15). Exits 77, which ctest reports as skipped, when
# clang++ is not installed. A crash leaves its input in BUILD_DIR/fuzz/artifacts.
#
#   scripts/run-fuzzers.sh [TARGET ...]   # e.g. tail_reader_fuzz; default: every target
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$repo/build}
seconds=${FUZZ_SECONDS:-15}
out=$build_dir/fuzz

if ! command -v clang++ >/dev/null; then
  echo "run-fuzzers: clang++ not found; install the Debian package clang to run the fuzzers"
  exit 77
fi

targets=("$@")
if ((${#targets[@]} == 0)); then
  for source in "$repo"/tests/fuzz/*_fuzz.cpp; do
    targets+=("$(basename "$source" .cpp)")
  done
fi

mkdir -p "$out/artifacts"
for target in "${targets[@]}"; do
  echo "run-fuzzers: building $target"
  clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$repo" "$repo"/shared/jsonl/*.cpp "$repo/tests/fuzz/$target.cpp" -o "$out/$target"
  mkdir -p "$out/corpus/$target"
  echo "run-fuzzers: running $target for ${seconds}s"
  "$out/$target" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$out/artifacts/$target-" "$out/corpus/$target" 2>&1 | tail -n 12
done
echo "run-fuzzers: ${#targets[@]} target(s) ran without a finding"
