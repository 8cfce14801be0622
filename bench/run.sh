#!/usr/bin/env bash
# The benchmark suite's main job: install what is missing (Debian 12, as root or with sudo),
# configure with the `release` CMake preset (Ninja), build enlist_bench, run one profile and write
#   results/<platform>/benchmarks.json   Google Benchmark JSON, with context (CPU, compiler,
#                                        flags, package versions, profile)
#   results/<platform>/REPORT.md         tables, targets, plots (results/<platform>/*.png)
# where <platform> names the CPU model, the core count and the compiler.
#
#   bench/run.sh                     default profile (about 20 minutes on 2 cores)
#   bench/run.sh --profile quick     CI smoke run (a minute or two), to results/<platform>-quick
#   bench/run.sh --profile full      every size at every thread count, 9 repetitions (an hour+)
# Options: --preset NAME (a CMake configure preset: release, the default, or clang-release),
# --out DIR (instead of results/), --build-dir DIR (configure DIR with the release preset's
# settings instead of build/<preset>), --no-deps (skip the package check), and after `--`,
# extra Google Benchmark flags (e.g. -- --benchmark_filter=end_miss).
set -euo pipefail
cd "$(dirname "$0")/.."

profile=default preset=release out=results build_dir="" deps=1
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) profile="$2"; shift 2 ;;
    --profile=*) profile="${1#*=}"; shift ;;
    --preset) preset="$2"; shift 2 ;;
    --preset=*) preset="${1#*=}"; shift ;;
    --out) out="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    --no-deps) deps=0; shift ;;
    --) shift; extra=("$@"); break ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
# Repetitions run in random interleaving (default and full): on a shared machine the speed of
# memory-bound loops drifts by tens of percent over seconds, and a benchmark whose repetitions
# ran back to back would compare its thread counts across different stretches of that drift.
case "$profile" in
  quick) reps=1 min_time=0.02 interleave=false ;;
  default) reps=7 min_time=0.1 interleave=true ;;
  full) reps=9 min_time=0.5 interleave=true ;;
  *) echo "profile must be quick, default or full" >&2; exit 2 ;;
esac

start=$SECONDS
runner=()
exe=""
configure_preset="$preset"
if [ "$preset" = windows-mingw ]; then
  # Windows: cross-built with MinGW-w64 and run under Wine, which runs the code natively (its
  # numbers are measurements of this machine). A preset of its own, so that the tests' build
  # directory (build/windows-mingw) is not reconfigured.
  [ "$deps" = 0 ] || scripts/install-deps.sh windows
  configure_preset=windows-mingw-bench
  export WINEPREFIX="$PWD/build/$configure_preset/wineprefix" WINEDEBUG=-all
  export WINEDLLOVERRIDES="mscoree,mshtml="
  runner=(/usr/lib/wine/wine64)
  exe=.exe
elif [ "$deps" = 1 ]; then
  scripts/install-deps.sh
fi
# Google Benchmark built from Debian's source package with this build's flags (Debian's
# libbenchmark is built without NDEBUG and warns so at every run), and the header-only peers
# Debian 12 lacks, unpacked from Debian 13's packages into build/debian (never installed: another
# Boost would replace Debian 12's). The first run downloads them; later runs reuse them.
benchmark_source=$(scripts/debian-fetch.sh source benchmark build/debian/sources | tail -1)
peer_dirs=$(scripts/debian-fetch.sh headers trixie build/debian libboost1.88-dev \
  libparallel-hashmap-dev | tail -1)
if [ "$preset" = windows-mingw ]; then
  # The header-only peers Debian 12 has, for the cross build (which must not read /usr/include).
  peer_dirs="$peer_dirs;$(scripts/debian-fetch.sh headers bookworm build/debian libcuckoo-dev \
    libxenium-dev | tail -1)"
fi
cmake_extra=("-DENLIST_BENCHMARK_SOURCE_DIR=$benchmark_source" "-DENLIST_PEER_INCLUDE_DIRS=$peer_dirs")

if [ -z "$build_dir" ]; then
  cmake --preset "$configure_preset" "${cmake_extra[@]}" >/dev/null
  build_dir="build/$configure_preset"
else
  # The release preset's settings, in another directory.
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "${cmake_extra[@]}" >/dev/null
fi
cmake --build "$build_dir" --target enlist_bench -j "$(nproc)"

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
[ -n "$cpu" ] || cpu=$(uname -m)
cores=$(nproc)
# The compiler CMake found (a toolchain file sets it outside the cache).
cxx=$(sed -n 's/^set(CMAKE_CXX_COMPILER "\(.*\)")$/\1/p' "$build_dir"/CMakeFiles/*/CMakeCXXCompiler.cmake |
  head -1)
version=$("$cxx" -dumpfullversion 2>/dev/null || "$cxx" -dumpversion)
case "$("$cxx" --version | head -1)" in *clang*) compiler=clang ;; *) compiler=gcc ;; esac
slug() {
  tr '[:upper:]' '[:lower:]' |
    sed -e 's/([^)]*)//g' -e 's/[^a-z0-9.]\+/-/g' -e 's/^-//' -e 's/-$//'
}
platform="$(echo "$cpu" | slug)-${cores}c-${compiler}-${version}"
[ "$preset" = windows-mingw ] && platform="$(echo "$cpu" | slug)-${cores}c-windows-wine-mingw-${version%-posix}"
[ "$profile" = default ] || platform="${platform}-${profile}"
dir="$out/$platform"
mkdir -p "$dir"

source="$(git describe --always --dirty 2>/dev/null || echo unknown)"
echo "profile $profile: $reps repetitions of at least ${min_time}s; results in $dir"
"${runner[@]}" "$build_dir/bench/enlist_bench$exe" --profile="$profile" \
  --benchmark_repetitions="$reps" --benchmark_min_time="$min_time" \
  --benchmark_enable_random_interleaving="$interleave" \
  --benchmark_display_aggregates_only=true \
  --benchmark_context=platform="$platform",source="$source" \
  --benchmark_out="$dir/benchmarks.json" --benchmark_out_format=json "${extra[@]}"

if ! /usr/bin/python3 bench/report.py "$dir"; then
  echo "the numbers of this run are not valid: its calibration failed or a backend's calls failed (see $dir/REPORT.md)" >&2
  exit 1
fi
echo "done in $((SECONDS - start)) s: $dir/REPORT.md"
