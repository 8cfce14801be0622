#!/usr/bin/env bash
# Fetches and unpacks a Debian source package (with Debian's patches applied) into DIR, for the
# cross builds, which need a library built with the cross compiler where Debian ships binaries
# for the build machine only (Google Benchmark for the Windows benchmark subset):
#   scripts/debian-source.sh benchmark build/sources
# prints the unpacked directory. The source comes from the same Debian mirror and suite as the
# machine's binary packages, through a private apt configuration (the system's is not changed).
# Needs dpkg-dev; run as root or with sudo only if the mirror lists cannot be written otherwise.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 SOURCE_PACKAGE DIR" >&2; exit 2; }
package="$1"
dir="$(mkdir -p "$2" && cd "$2" && pwd)"
existing=$(find "$dir" -maxdepth 1 -type d -name "${package}-[0-9]*" | head -1)
if [ -n "$existing" ]; then echo "$existing"; exit 0; fi

apt_dir="$dir/.apt"
mkdir -p "$apt_dir/lists/partial"
# deb-src lines for every mirror and suite the system's Debian sources name.
{
  sed -n 's/^deb \(\[[^]]*\] \)\?\(http[^ ]*\) \([^ ]*\) \(.*\)$/deb-src \2 \3 \4/p' \
    /etc/apt/sources.list 2>/dev/null || true
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN { RS = ""; FS = "\n" }
         /Types:[^\n]*deb/ && /debian/ {
           uris = suites = comps = ""
           for (i = 1; i <= NF; i++) {
             if ($i ~ /^URIs:/) uris = substr($i, 7)
             if ($i ~ /^Suites:/) suites = substr($i, 9)
             if ($i ~ /^Components:/) comps = substr($i, 13)
           }
           n = split(suites, s, " ")
           for (j = 1; j <= n; j++) print "deb-src " uris " " s[j] " " comps
         }' "$f"
  done
} | grep -v -- '-security' | sort -u > "$apt_dir/sources.list"
[ -s "$apt_dir/sources.list" ] || { echo "no Debian mirror found in /etc/apt" >&2; exit 1; }

apt_options=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::State::Lists=$apt_dir/lists" -o "APT::Sandbox::User=root")
apt-get "${apt_options[@]}" -qq update >&2
(cd "$dir" && apt-get "${apt_options[@]}" -qq source "$package" >&2)
find "$dir" -maxdepth 1 -type d -name "${package}-[0-9]*" | head -1
