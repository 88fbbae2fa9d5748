#!/usr/bin/env bash
# Fetch Debian's linux-source-6.12 once and unpack it outside the repository.
# Prints the path of the unpacked tree. Idempotent: a second run only prints the path.
set -euo pipefail
cache="${PATCHCHECK_CACHE:-$HOME/.cache/patchcheck}"
tree="$cache/linux-source-6.12"
if [ -f "$tree/.complete" ]; then
    echo "$tree"
    exit 0
fi
mkdir -p "$cache"
work=$(mktemp -d "$cache/fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
if ! ls "$cache"/linux-source-6.12_*.deb >/dev/null 2>&1; then
    if ! apt-get download linux-source-6.12 >&2 2>&1; then
        apt-get update -qq >&2
        apt-get download linux-source-6.12 >&2
    fi
    mv linux-source-6.12_*.deb "$cache/"
fi
deb=$(ls "$cache"/linux-source-6.12_*.deb | tail -n 1)
dpkg-deb --fsys-tarfile "$deb" | tar -x ./usr/src/
tarball=$(ls usr/src/linux-source-6.12*.tar.xz | head -n 1)
rm -rf "$tree"
mkdir -p "$tree.tmp"
tar -xJf "$tarball" -C "$tree.tmp" --strip-components=1
mv "$tree.tmp" "$tree"
touch "$tree/.complete"
echo "$tree"
