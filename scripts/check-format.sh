#!/usr/bin/env bash
# Fails when a tracked C++ file differs from what clang-format (with the repository's
# .clang-format) would write, and lists those files. `--fix` rewrites them instead.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h' | grep -v '^build')
if [[ ${1:-} == --fix ]]; then
  clang-format -i "${files[@]}"
  exit 0
fi

unformatted=()
for file in "${files[@]}"; do
  if ! clang-format --dry-run --Werror "$file" >/dev/null 2>&1; then
    unformatted+=("$file")
  fi
done
if ((${#unformatted[@]} > 0)); then
  echo "clang-format would change ${#unformatted[@]} file(s); run scripts/check-format.sh --fix:"
  printf '  %s\n' "${unformatted[@]}"
  exit 1
fi
echo "clang-format: ${#files[@]} files formatted"
