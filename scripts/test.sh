#!/usr/bin/env bash
# Sets up the machine, builds, and runs every test: unit tests and the integration tests that
# start a private D-Bus, an avahi-daemon limited to loopback, hubs, nodes and headless Chromium.
# Extra arguments go to ctest, e.g. `scripts/test.sh -L unit`.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$repo/build}

bash "$repo/scripts/setup.sh"
bash "$repo/scripts/build.sh"
cd "$build_dir"
ctest --output-on-failure --parallel "$(nproc)" "$@"
