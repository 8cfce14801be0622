#!/usr/bin/env bash
# Builds and runs enlist's test suite with one CMake preset (default: release), installing the
# Debian packages it needs first. Extra arguments go to ctest, e.g. `tests/run.sh release -L unit`.
#   tests/run.sh                # every test, optimised build
#   tests/run.sh asan-ubsan     # under AddressSanitizer + UndefinedBehaviorSanitizer
#   tests/run.sh tsan           # under ThreadSanitizer
#   tests/run.sh windows-mingw  # cross-built for Windows, run under Wine
#   tests/run.sh aarch64-linux  # cross-built for AArch64, run under qemu-user
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
shift || true

case "$preset" in
  windows-mingw) scripts/install-deps.sh windows ;;
  aarch64-linux) scripts/install-deps.sh aarch64 ;;
  *) scripts/install-deps.sh ;;
esac
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset" "$@"
