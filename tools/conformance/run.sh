#!/usr/bin/env bash
# Generates the TOSA conformance tests with Arm's generator and runs them through
# vgforge-tosa. Called by `cargo xtask conformance [--full]`; see README.md here.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mode=ci
[ "${1:-}" = "--full" ] && mode=full
out=${VGFORGE_CONFORMANCE_OUT:-$root/target/conformance-$mode}
venv=${VGFORGE_VENV:-$root/.venv}
if [ ! -x "$venv/bin/tosa_verif_build_tests" ]; then
  echo "conformance: tosa_verif_build_tests not found in $venv (run tools/setup-env.sh)" >&2
  exit 1
fi
# The tests are a pure function of the generator version and the seed: reuse them.
stamp="$out/.generated-by"
want="$(sha256sum "$here/ci-subset.txt" "$here/gen.sh" "$here/build_subset.py" | sha256sum | cut -c1-16) $mode"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  rm -rf "$out"
  VGFORGE_VENV=$venv bash "$here/gen.sh" "$out" "$mode"
  echo "$want" > "$stamp"
fi
cd "$root"
cargo run --release --quiet -p vgforge-tosa --example conformance -- "$out" \
  --json "$out/summary.json" --known-failures "$here/known-failures.txt"
