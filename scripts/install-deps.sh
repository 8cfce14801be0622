#!/usr/bin/env bash
# Installs the Debian packages enlist needs, when any is missing. Debian 12, as root (or with
# sudo). Everything comes from Debian: nothing is downloaded at build time and nothing is vendored.
#   scripts/install-deps.sh            # everything the tests, the benchmarks and the examples use
#   scripts/install-deps.sh library    # only what the library-only build (preset library) needs
#   scripts/install-deps.sh debian     # what building the Debian package needs, besides `library`
set -euo pipefail

library=(cmake ninja-build g++ pkg-config)
everything=(
  "${library[@]}" clang libclang-rt-14-dev git
  libgtest-dev libgmock-dev libbenchmark-dev libbenchmark-tools
  libtbb-dev libcuckoo-dev libcds-dev liburcu-dev libabsl-dev libboost-dev
  python3 python3-matplotlib
)
debian=("${library[@]}" debhelper dpkg-dev fakeroot git)

case "${1:-all}" in
  all) packages=("${everything[@]}") ;;
  library) packages=("${library[@]}") ;;
  debian) packages=("${debian[@]}") ;;
  *)
    echo "usage: $0 [all|library|debian]" >&2
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
