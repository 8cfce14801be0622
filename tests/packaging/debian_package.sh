#!/usr/bin/env bash
# Builds the Debian package (debian/) from the repository's files (tracked, or new and not
# ignored), checks what it holds, unpacks it into a scratch root and builds and runs every
# consumer of install_and_consume.cmake against it. Installs debhelper and the build
# dependencies first when they are missing.
#   tests/packaging/debian_package.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
"$root/scripts/install-deps.sh" debian

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/src"
(cd "$root" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) |
  tar -xf - -C "$work/src"

# One version: the package's and the project's.
project_version="$(sed -n 's/^project(enlist VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")"
package_version="$(cd "$work/src" && dpkg-parsechangelog -S Version)"
if [ "$project_version" != "$package_version" ]; then
  echo "debian/changelog says $package_version, CMakeLists.txt $project_version" >&2
  exit 1
fi

(cd "$work/src" && dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) || {
  tail -40 "$work/build.log"
  exit 1
}
deb="$(ls "$work"/libenlist-dev_*.deb)"
contents="$(dpkg-deb --contents "$deb" | awk '{print $6}')"
echo "$contents"
for expected in usr/include/enlist/registry.hpp usr/include/enlist/enlist.h \
  usr/include/enlist/version.hpp libenlist.a cmake/enlist/enlistConfig.cmake \
  pkgconfig/enlist.pc; do
  grep -q "$expected" <<<"$contents" || {
    echo "$(basename "$deb") lacks $expected" >&2
    exit 1
  }
done

dpkg-deb -x "$deb" "$work/root"
multiarch="$(dpkg-architecture -qDEB_HOST_MULTIARCH)"
cmake -DPREFIX="$work/root/usr" -DKIND=debian -DSOURCE_DIR="$root/tests/packaging" \
  -DWORK_DIR="$work/consumers" -DCXX=c++ -DCC=cc \
  -P "$root/tests/packaging/install_and_consume.cmake"
echo "debian: $(basename "$deb") built, unpacked (lib/$multiarch) and consumed"
