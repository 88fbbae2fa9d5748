#!/usr/bin/env bash
# Fetch Debian's linux-source-VERSION (default 6.12) once and unpack it outside the repository.
# Usage: scripts/fetch-linux-source.sh [VERSION]   e.g. 6.1 or 6.12
# Prints the path of the unpacked tree. Idempotent: a second run only prints the path.
set -euo pipefail
version="${1:-6.12}"
case "$version" in
    *[!0-9.]*|"") echo "fetch-linux-source: bad version '$version'" >&2; exit 2 ;;
esac
package="linux-source-$version"
cache="${PATCHCHECK_CACHE:-$HOME/.cache/patchcheck}"
tree="$cache/$package"
if [ -f "$tree/.complete" ]; then
    echo "$tree"
    exit 0
fi
mkdir -p "$cache"
work=$(mktemp -d "$cache/fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
if ! ls "$cache/${package}"_*.deb >/dev/null 2>&1; then
    if ! apt-get download "$package" >&2 2>&1; then
        apt-get update -qq >&2
        apt-get download "$package" >&2
    fi
    mv "${package}"_*.deb "$cache/"
fi
deb=$(ls "$cache/${package}"_*.deb | tail -n 1)
dpkg-deb --fsys-tarfile "$deb" | tar -x ./usr/src/
tarball=$(ls usr/src/"${package}".tar.xz usr/src/"${package}"*.tar.xz 2>/dev/null | head -n 1)
rm -rf "$tree" "$tree.tmp"
mkdir -p "$tree.tmp"
tar -xJf "$tarball" -C "$tree.tmp" --strip-components=1
mv "$tree.tmp" "$tree"
touch "$tree/.complete"
echo "$tree"
