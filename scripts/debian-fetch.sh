#!/usr/bin/env bash
# Fetches Debian packages into DIR through a private apt configuration (the system's sources,
# lists and installed packages are not changed), from the same Debian mirror as the machine's
# own packages:
#   scripts/debian-fetch.sh source PACKAGE DIR
#       the source package, with Debian's patches applied, unpacked in DIR (Google Benchmark, to
#       build it with the cross compiler for Windows and with NDEBUG for every build); prints the
#       unpacked directory.
#   scripts/debian-fetch.sh headers SUITE DIR PACKAGE...
#       binary packages of SUITE (e.g. trixie, for header-only libraries Debian 12 lacks, or
#       bookworm), unpacked with dpkg-deb into DIR/SUITE (never installed); prints
#       DIR/SUITE/usr/include. Packages already unpacked there are not fetched again.
# Needs dpkg-dev (source) or dpkg (headers); run as root, or as a user who can write DIR.
set -euo pipefail
usage() {
  echo "usage: $0 source PACKAGE DIR | $0 headers SUITE DIR PACKAGE..." >&2
  exit 2
}
[ $# -ge 3 ] || usage
mode="$1"

# The Debian mirrors the system uses (not the security archive), one URI a line.
mirrors() {
  {
    sed -n 's/^deb \(\[[^]]*\] \)\?\(http[^ ]*\) .*$/\2/p' /etc/apt/sources.list 2>/dev/null || true
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] || continue
      awk 'BEGIN { RS = ""; FS = "\n" }
           /Types:[^\n]*deb/ && /debian/ {
             for (i = 1; i <= NF; i++) if ($i ~ /^URIs:/) print substr($i, 7)
           }' "$f"
    done
  } | tr ' ' '\n' | grep -v -- '-security' | grep . | sort -u
}
# The suites and components the system's Debian sources name, as "SUITE COMPONENTS" lines.
suites() {
  {
    sed -n 's/^deb \(\[[^]]*\] \)\?http[^ ]* \([^ ]*\) \(.*\)$/\2 \3/p' /etc/apt/sources.list \
      2>/dev/null || true
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] || continue
      awk 'BEGIN { RS = ""; FS = "\n" }
           /Types:[^\n]*deb/ && /debian/ {
             suites = comps = ""
             for (i = 1; i <= NF; i++) {
               if ($i ~ /^Suites:/) suites = substr($i, 9)
               if ($i ~ /^Components:/) comps = substr($i, 13)
             }
             n = split(suites, s, " ")
             for (j = 1; j <= n; j++) print s[j] " " comps
           }' "$f"
    done
  } | grep -v -- '-security' | sort -u
}

# A private apt state under $1, reading the sources in $1/sources.list.
apt_in() {
  local apt_dir="$1"
  shift
  apt-get -o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=/dev/null" \
    -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache::Archives=$apt_dir/archives" \
    -o "Dir::State::Status=/dev/null" -o "APT::Sandbox::User=root" "$@"
}

case "$mode" in
  source)
    [ $# -eq 3 ] || usage
    package="$2"
    dir="$(mkdir -p "$3" && cd "$3" && pwd)"
    existing=$(find "$dir" -maxdepth 1 -type d -name "${package}-[0-9]*" | head -1)
    if [ -n "$existing" ]; then echo "$existing"; exit 0; fi
    apt_dir="$dir/.apt"
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial"
    suites | while read -r suite components; do
      mirrors | while read -r uri; do echo "deb-src $uri $suite $components"; done
    done > "$apt_dir/sources.list"
    [ -s "$apt_dir/sources.list" ] || { echo "no Debian mirror found in /etc/apt" >&2; exit 1; }
    apt_in "$apt_dir" -qq update >&2
    (cd "$dir" && apt_in "$apt_dir" -qq source "$package" >&2)
    find "$dir" -maxdepth 1 -type d -name "${package}-[0-9]*" | head -1
    ;;
  headers)
    [ $# -ge 4 ] || usage
    suite="$2"
    dir="$(mkdir -p "$3" && cd "$3" && pwd)"
    shift 3
    root="$dir/$suite"
    mkdir -p "$root/.unpacked"
    missing=()
    for p in "$@"; do [ -f "$root/.unpacked/$p" ] || missing+=("$p"); done
    if [ ${#missing[@]} -gt 0 ]; then
      apt_dir="$dir/.apt-$suite"
      mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial"
      mirrors | while read -r uri; do echo "deb $uri $suite main"; done > "$apt_dir/sources.list"
      [ -s "$apt_dir/sources.list" ] || { echo "no Debian mirror found in /etc/apt" >&2; exit 1; }
      apt_in "$apt_dir" -qq update >&2
      (cd "$apt_dir/archives" && apt_in "$apt_dir" -qq download "${missing[@]}" >&2)
      for p in "${missing[@]}"; do
        deb=$(ls "$apt_dir/archives/${p}_"*.deb | head -1)
        dpkg-deb -x "$deb" "$root"
        dpkg-deb -f "$deb" Version > "$root/.unpacked/$p"
      done
    fi
    echo "$root/usr/include"
    ;;
  *) usage ;;
esac
