#!/usr/bin/env bash
# Fetch the Debian cloud kernel packages the QEMU probe matrix boots, by their metapackages, so a new ABI
# number does not break CI. Prints one .deb path per line. Idempotent: cached packages are reused.
#   linux-image-cloud-amd64       -> the current 6.1 image (no MAP_DROPPABLE)
#   linux-image-6.12-cloud-amd64  -> the current 6.12 image (has MAP_DROPPABLE)
set -euo pipefail
cache="${PATCHCHECK_CACHE:-$HOME/.cache/patchcheck}/kernels"
mkdir -p "$cache"
[ $# -gt 0 ] || set -- linux-image-cloud-amd64 linux-image-6.12-cloud-amd64

image_of() {  # metapackage -> the linux-image-* package it depends on
    apt-cache depends "$1" 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}'
}

for meta in "$@"; do
    image=$(image_of "$meta")
    if [ -z "$image" ]; then
        apt-get update -qq >&2
        image=$(image_of "$meta")
    fi
    [ -n "$image" ] || { echo "fetch-vm-kernels: cannot resolve $meta" >&2; exit 2; }
    version=$(apt-cache policy "$image" | awk '/Candidate:/ {print $2}')
    deb="$cache/${image}_${version//:/%3a}_amd64.deb"
    if [ ! -s "$deb" ]; then
        (cd "$cache" && apt-get download -qq -o APT::Sandbox::User=root "$image=$version" >&2)
    fi
    echo "$deb"
done
