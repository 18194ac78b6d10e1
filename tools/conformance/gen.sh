#!/usr/bin/env bash
# Generates TOSA conformance tests with Arm's tosa_verif_build_tests (PyPI tosa-tools,
# installed by tools/setup-env.sh) for every operator of the vgforge IR, then runs Arm's
# tosa_reference_model on each positive test to write its expected outputs
# (ref-result-N.npy, as the desc.json's ofm_file names them).
#
# Usage: tools/conformance/gen.sh OUT_DIR [ci|full]
#   ci   (default) the fixed subset listed in tools/conformance/ci-subset.txt
#   full every test the generator makes for these operators with the flags below
#   list rewrite ci-subset.txt from the generator's listing (after a tosa-tools update)
# Then: VGFORGE_CONFORMANCE_DIR=OUT_DIR cargo test -p vgforge-tosa --test conformance
#   or: cargo run -p vgforge-tosa --example conformance -- OUT_DIR --json summary.json
# Environment: VGFORGE_VENV (default <repo>/.venv), JOBS (default: number of CPUs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${VGFORGE_VENV:-$root/.venv}
out=${1:?usage: gen.sh OUT_DIR [ci|full|list]}
mode=${2:-ci}
jobs=${JOBS:-$(nproc)}
seed=42
py="$venv/bin/python"
[ -x "$venv/bin/tosa_verif_build_tests" ] || { echo "gen.sh: no tosa-tools in $venv (run tools/setup-env.sh)" >&2; exit 2; }

int_ops='^(const|conv2d|depthwise_conv2d|transpose_conv2d|max_pool2d|avg_pool2d|matmul|rescale|clamp|add|sub|mul|maximum|minimum|resize|reshape|transpose|pad|concat|slice|cast|table|reduce_sum|reduce_max|argmax)$'
fp_ops='^(sigmoid|tanh|exp|reciprocal|add|mul|clamp)$'
# Small shapes and parameters keep the suite fast; the operators' corner cases remain.
limits=(--max-batch-size 1 --max-conv-padding 1 --max-conv-dilation 2 --max-conv-stride 2
        --max-pooling-padding 1 --max-pooling-stride 2 --max-pooling-kernel 3
        --num-rand-permutations 2 --seed "$seed")
# group name | generator arguments
groups=(
  "int-pos|--profile tosa-pro-int --extension tosa-ext-int16 tosa-ext-doubleround --test-type positive --filter $int_ops"
  "int-neg|--profile tosa-pro-int --extension tosa-ext-int16 tosa-ext-doubleround --test-type negative --filter $int_ops"
  "fp-pos|--profile tosa-pro-fp --target-dtype fp32 --test-type positive --filter $fp_ops"
  "fp-neg|--profile tosa-pro-fp --target-dtype fp32 --test-type negative --filter $fp_ops"
)

list_group() { # $1 = generator arguments
  # shellcheck disable=SC2086
  "$venv/bin/tosa_verif_build_tests" -o /tmp/unused $1 "${limits[@]}" --list-tests 2>/dev/null \
    | grep -v -e '^Done' -e 'matching'
}

if [ "$mode" = list ]; then
  tmp=$(mktemp)
  for g in "${groups[@]}"; do list_group "${g#*|}" >> "$tmp"; done
  { echo "# CI subset of tosa_verif_build_tests (tosa-tools 2026.8.0, seed $seed): made by"
    echo "# tools/conformance/gen.sh unused list  (select_subset.py over the full listing)"
    "$py" "$here/select_subset.py" 12 < "$tmp"; } > "$here/ci-subset.txt"
  rm -f "$tmp"
  echo "gen.sh: wrote $(grep -vc '^#' "$here/ci-subset.txt") names to $here/ci-subset.txt"
  exit 0
fi

mkdir -p "$out"
start=$(date +%s)
for g in "${groups[@]}"; do
  name=${g%%|*}; args=${g#*|}
  if [ "$mode" = full ]; then
    # shellcheck disable=SC2086
    "$venv/bin/tosa_verif_build_tests" -o "$out/$name" $args "${limits[@]}" | tail -1
  else
    # shellcheck disable=SC2086
    "$py" "$here/build_subset.py" "$here/ci-subset.txt" -o "$out/$name" $args "${limits[@]}" | tail -1
  fi
done
gen_end=$(date +%s)

# Expected outputs: run the reference model on every positive test (negative tests expect
# an error and have no outputs).
find "$out" -name desc.json -print0 \
  | xargs -0 -P "$jobs" -I{} sh -c '
      d=$(dirname "$1")
      grep -q "\"expected_failure\": false" "$1" || exit 0
      "$2" --test_desc "$1" --output_dir "$d" > "$d/refmodel.log" 2>&1 || echo "refmodel failed: $d"
    ' _ {} "$venv/bin/tosa_reference_model"
end=$(date +%s)
echo "gen.sh: $(find "$out" -name desc.json | wc -l) tests in $out; generate $((gen_end - start)) s, reference model $((end - gen_end)) s"
