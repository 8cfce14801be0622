#!/usr/bin/env bash
# Fuzzes enlist's harnesses with libFuzzer (clang, ASan + UBSan; CMake preset "fuzz"), each in
# both modes: <harness>_scheduled runs the program under the deterministic scheduler with the
# schedule's seed taken from the input, so libFuzzer explores schedules as well as programs and a
# crash replays exactly; <harness> runs it on real threads, which find what the schedule model
# cannot (weak-memory effects, real preemption) but cannot replay an interleaving.
#   tests/fuzz.sh            # CI's short run: 30 s per harness
#   tests/fuzz.sh 3600       # a long run: an hour per harness
#   tests/fuzz.sh 600 map_fuzz_scheduled   # one harness
# New inputs go to build/fuzz/corpus/<harness>; the stored corpus (tests/<subject>/fuzz_corpus,
# map for map_fuzz, registry for registry_fuzz) is only read. To keep what a long run found,
# merge it in (libFuzzer keeps only inputs that add coverage):
#   build/fuzz/tests/<harness> -merge=1 tests/<subject>/fuzz_corpus build/fuzz/corpus/<harness>
# A crash leaves its input in build/fuzz/crash-*, and the script prints the command that replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] ||
  harnesses=(map_fuzz_scheduled registry_fuzz_scheduled map_fuzz registry_fuzz)

scripts/install-deps.sh
cmake --preset fuzz >/dev/null
targets=("${harnesses[@]}")
for h in "${harnesses[@]}"; do
  [[ $h == *_scheduled ]] || targets+=("${h}_scheduled_replay")  # to search a crash's schedules
done
cmake --build --preset fuzz -j2 --target "${targets[@]}"

# Prints how to replay the crash a harness left behind.
explain_crash() {
  local h=$1 crash
  crash=$(ls -t build/fuzz/crash-* 2>/dev/null | head -n 1)
  [ -n "$crash" ] || return 0
  echo
  echo "--- $h crashed on $crash"
  if [[ $h == *_scheduled ]]; then
    echo "replay it (deterministic: the input's bytes decide the program and the schedule):"
    echo "    build/fuzz/tests/$h $crash"
  else
    echo "replay it (real threads: the interleaving may not recur):"
    echo "    build/fuzz/tests/$h $crash"
    echo "search its schedules deterministically (each failure names its seed):"
    echo "    build/fuzz/tests/${h}_scheduled_replay --sweep 100000 $crash"
  fi
}

for h in "${harnesses[@]}"; do
  subject=${h%_scheduled}
  subject=${subject%_fuzz}
  mkdir -p "build/fuzz/corpus/$h"
  echo "--- $h for $seconds s"
  # Inputs up to 1 KiB: 500 operations, enough for every migration path.
  if ! (cd build/fuzz && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    "tests/$h" -max_total_time="$seconds" -max_len=1024 -timeout=30 \
    -print_final_stats=1 "corpus/$h" "../../tests/$subject/fuzz_corpus"); then
    explain_crash "$h"
    exit 1
  fi
done
