#!/usr/bin/env bash
# Installs the Debian packages enlist needs, when any is missing. Debian 12, as root (or with
# sudo). Everything comes from Debian: nothing is downloaded at build time and nothing is vendored.
#   scripts/install-deps.sh            # everything the tests, the benchmarks and the examples use
#   scripts/install-deps.sh library    # only what the library-only build (preset library) needs
#   scripts/install-deps.sh debian     # what building the Debian package needs, besides `library`
#   scripts/install-deps.sh windows    # cross build for Windows (MinGW-w64) and Wine to run it
#   scripts/install-deps.sh aarch64    # cross build for AArch64 Linux and qemu-user to run it
set -euo pipefail

library=(cmake ninja-build g++ pkg-config)
everything=(
  "${library[@]}" clang libclang-rt-14-dev git
  libgtest-dev libgmock-dev libbenchmark-dev libbenchmark-tools
  libtbb-dev libcuckoo-dev libcds-dev liburcu-dev libabsl-dev libboost-dev libxenium-dev
  python3 python3-matplotlib dpkg-dev
)
debian=("${library[@]}" debhelper dpkg-dev fakeroot git)
# Cross builds take GoogleTest as source (googletest: /usr/src/googletest) and build it with the
# cross compiler; python3 runs the lint test.
windows=(cmake ninja-build g++-mingw-w64-x86-64-posix wine64 googletest python3 dpkg-dev)
aarch64=(cmake ninja-build g++-aarch64-linux-gnu qemu-user googletest python3)

case "${1:-all}" in
  all) packages=("${everything[@]}") ;;
  library) packages=("${library[@]}") ;;
  debian) packages=("${debian[@]}") ;;
  windows) packages=("${windows[@]}") ;;
  aarch64) packages=("${aarch64[@]}") ;;
  *)
    echo "usage: $0 [all|library|debian|windows|aarch64]" >&2
    exit 2
    ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
