#!/usr/bin/env bash
# Installs the Debian packages enlist builds, tests and benchmarks with, when any is missing.
# Debian 12, as root (or with sudo). Everything comes from Debian: nothing is downloaded
# at build time and nothing is vendored.
set -euo pipefail

packages=(
  cmake ninja-build g++ clang libclang-rt-14-dev pkg-config git
  libgtest-dev libgmock-dev libbenchmark-dev libbenchmark-tools
  libtbb-dev libcuckoo-dev libcds-dev liburcu-dev libabsl-dev libboost-dev
  python3 python3-matplotlib
)

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
