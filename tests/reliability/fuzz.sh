#!/usr/bin/env bash
# Fuzzes enlist's harnesses with libFuzzer (clang, ASan + UBSan; CMake preset "fuzz").
#   tests/reliability/fuzz.sh            # CI's short run: 30 s per harness
#   tests/reliability/fuzz.sh 3600       # a long run: an hour per harness
#   tests/reliability/fuzz.sh 600 map_fuzz   # one harness
# New inputs go to build/fuzz/corpus/<harness>; the stored corpus (tests/reliability/corpus) is
# only read. To keep what a long run found, merge it in (libFuzzer keeps only inputs that add
# coverage):  build/fuzz/tests/reliability/<harness> -merge=1 \
#               tests/reliability/corpus/<harness> build/fuzz/corpus/<harness>
# A crash leaves its input in build/fuzz/crash-*; replay it with
#   build/fuzz/tests/reliability/<harness> build/fuzz/crash-...
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-30}"
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(map_fuzz registry_fuzz)

scripts/install-deps.sh
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j2 --target "${harnesses[@]}"
for h in "${harnesses[@]}"; do
  mkdir -p "build/fuzz/corpus/$h"
  echo "--- $h for $seconds s"
  # Inputs up to 1 KiB: 500 operations, enough for every migration path.
  (cd build/fuzz && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    "tests/reliability/$h" -max_total_time="$seconds" -max_len=1024 -timeout=30 \
    -print_final_stats=1 "corpus/$h" "../../tests/reliability/corpus/$h")
done
