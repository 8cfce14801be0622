#!/usr/bin/env bash
# Builds and runs enlist's test suite with one CMake preset (default: release), installing the
# Debian packages it needs first. Extra arguments go to ctest, e.g. `tests/run.sh release -L unit`.
#   tests/run.sh                # every test, optimised build
#   tests/run.sh asan-ubsan     # under AddressSanitizer + UndefinedBehaviorSanitizer
#   tests/run.sh tsan           # under ThreadSanitizer
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
shift || true

scripts/install-deps.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset" "$@"
