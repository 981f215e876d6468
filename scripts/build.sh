#!/usr/bin/env bash
# Configures and builds the project into BUILD_DIR (default: build/ in the repository).
# Arguments name targets to build, e.g. `scripts/build.sh winebot-hub`; none builds everything.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$repo/build}

cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" >/dev/null
targets=()
for target in "$@"; do
  targets+=(--target "$target")
done
cmake --build "$build_dir" --parallel "$(nproc)" "${targets[@]}"
