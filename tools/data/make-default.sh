#!/usr/bin/env bash
# Rebuilds fixtures/data/default-{train,test}.bin bit-for-bit from the photos
# shipped in the scikit-image 0.26.0 wheel. Needs pip (network) and python3.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m pip download --no-deps --only-binary=:all: --python-version 3.11 \
    --platform manylinux_2_28_x86_64 "scikit-image==0.26.0" -d "$work" >/dev/null
(cd "$work" && python3 -m zipfile -e scikit_image-0.26.0-*.whl unpacked >/dev/null)
python3 "$root/tools/data/make_default.py" "$work/unpacked/skimage/data" "$root/fixtures/data"
