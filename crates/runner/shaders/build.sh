#!/usr/bin/env bash
# Rebuilds the committed SPIR-V kernels from the GLSL sources and validates
# them. Run after editing any .comp/.glsl file here: bash crates/runner/shaders/build.sh
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p spv

# name  source  defines...
variants=(
  "conv2d_i8 conv2d.comp"
  "conv2d_i8_fused conv2d.comp FUSED"
  "conv2d_f32 conv2d.comp F32"
  "conv2d_i8_p4o4 conv2d.comp PACKED OCT=4"
  "conv2d_i8_p4o8 conv2d.comp PACKED OCT=8"
  "conv2d_i8_fused_p4o4 conv2d.comp FUSED PACKED OCT=4"
  "conv2d_i8_fused_p4o8 conv2d.comp FUSED PACKED OCT=8"
  "conv2d_i8_fast_p16o16_w4 conv2d_fast.comp WG=32 FUSED STORE4 P=16 OCT=16"
  "conv2d_i8_fast_p16o16 conv2d_fast.comp WG=32 FUSED P=16 OCT=16"
  "conv2d_i8_fast_p16o16_raw conv2d_fast.comp WG=32 P=16 OCT=16"
  "conv2d_i8_fast_p8o4_w4 conv2d_fast.comp WG=32 FUSED STORE4 P=8 OCT=4"
  "conv2d_i8_fast_p8o4 conv2d_fast.comp WG=32 FUSED P=8 OCT=4"
  "conv2d_i8_fast_p8o4_raw conv2d_fast.comp WG=32 P=8 OCT=4"
  "conv2d_i8_fast_b_p4o16_w4 conv2d_fast.comp WG=32 FUSED STORE4 BYTES P=4 OCT=16"
  "conv2d_i8_fast_b_p4o16 conv2d_fast.comp WG=32 FUSED BYTES P=4 OCT=16"
  "conv2d_i8_fast_b_p4o16_raw conv2d_fast.comp WG=32 BYTES P=4 OCT=16"
  "conv2d_i8_fast_b_p8o4_w4 conv2d_fast.comp WG=32 FUSED STORE4 BYTES P=8 OCT=4"
  "conv2d_i8_fast_b_p8o4 conv2d_fast.comp WG=32 FUSED BYTES P=8 OCT=4"
  "conv2d_i8_fast_b_p8o4_raw conv2d_fast.comp WG=32 BYTES P=8 OCT=4"
  "depthwise_i8 depthwise.comp"
  "depthwise_i8_fused depthwise.comp FUSED"
  "depthwise_f32 depthwise.comp F32"
  "rescale_i8_i8 rescale.comp IN_I8 OUT_I8"
  "rescale_i8_i32 rescale.comp IN_I8"
  "rescale_i32_i8 rescale.comp OUT_I8"
  "rescale_i32_i32 rescale.comp"
  "clamp_i8 clamp.comp I8"
  "clamp_i32 clamp.comp"
  "clamp_f32 clamp.comp F32"
  "maxpool_i8 pool.comp I8"
  "maxpool_i32 pool.comp"
  "maxpool_f32 pool.comp F32"
  "avgpool_i8 pool.comp I8 AVG"
  "avgpool_i32 pool.comp AVG"
  "avgpool_f32 pool.comp F32 AVG"
  "resize_i8_i32 resize.comp IN_I8"
  "resize_i8_i8 resize.comp IN_I8 OUT_I8"
  "resize_i8_rescale_i8 resize.comp IN_I8 RESCALE"
  "resize_i32_i32 resize.comp"
  "resize_f32 resize.comp F32"
  "matmul_i8 matmul.comp"
  "matmul_f32 matmul.comp F32"
  "binary_i32 binary.comp"
  "binary_f32 binary.comp F32"
  "table_i8 table.comp"
)

for v in "${variants[@]}"; do
  read -r name src defs <<<"$v"
  args=()
  for d in $defs; do args+=("-D$d"); done
  glslangValidator -V --target-env vulkan1.2 -S comp "${args[@]}" -o "spv/$name.spv" "$src" 
  spirv-val --target-env vulkan1.2 "spv/$name.spv"
  echo "ok $name"
done
