#!/usr/bin/env bash
# The probe matrix on the current Debian 6.1 and 6.12 cloud kernels, as CI checks it (test_qemu_matrix.py):
# fetch the packages by their metapackages, boot each in QEMU, print one table claim x kernel.
# Extra arguments go to `patchcheck probe` (e.g. --format json, --accel auto).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d .venv ] && export PATH="$PWD/.venv/bin:$PATH"
args=()
while read -r deb; do args+=(--kernel-deb "$deb"); done < <(scripts/fetch-vm-kernels.sh)
exec patchcheck probe --matrix --pressure "${args[@]}" "$@"
