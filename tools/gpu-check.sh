#!/usr/bin/env bash
# Device check for a lent NVIDIA machine (no network). Runs, within ~9 minutes:
#   1. the compute backend bit-exact with the TOSA interpreter on the reference .vgf files
#      (batch 1 and 64) and the int8 upscaler's throughput at batch 1 and 256 (images/s);
#   2. if the ML emulation layer is carried, the data-graph backend (batch 1, bit-exact + time).
# Results go to $OUT (gpu-check.log, compute.json, datagraph.json, vulkaninfo/nvidia-smi text).
#
# Carried from the build machine (built there with
#   CARGO_TARGET_DIR=target-runner cargo build --release -p vgforge-runner --example gpu_check):
#   GPU_CHECK_BIN   the binary     (default: target-runner/release/examples/gpu_check)
#   VULKAN_DEBS     folder of .deb (libvulkan1 [+ vulkan-tools]); used only when no loader is installed
#                   (default: shared/vulkan-debs)
#   EMULATION_DIR   emulation_layer/deploy folder (default: searched under .venv and shared/)
# Usage: OUT=/some/dir bash tools/gpu-check.sh
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$root/gpu-check-out}
mkdir -p "$OUT"
log="$OUT/gpu-check.log"
: >"$log"
say() { echo "$*" | tee -a "$log"; }
start=$(date +%s)

bin=${GPU_CHECK_BIN:-$root/target-runner/release/examples/gpu_check}
if [ ! -x "$bin" ]; then
  say "FAIL: no gpu_check binary at $bin (set GPU_CHECK_BIN)"
  exit 1
fi

# Vulkan loader: use the system one, else unpack the carried debs locally (no root needed).
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1'; then
  debs=${VULKAN_DEBS:-$root/shared/vulkan-debs}
  vkroot="$OUT/.vkroot"
  mkdir -p "$vkroot"
  found=0
  for d in "$debs"/*.deb; do
    [ -f "$d" ] || continue
    dpkg-deb -x "$d" "$vkroot" && found=1
  done
  if [ $found = 0 ]; then
    say "FAIL: no libvulkan.so.1 installed and no .deb in $debs"
    exit 1
  fi
  export LD_LIBRARY_PATH="$vkroot/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export PATH="$vkroot/usr/bin:$PATH"
  say "loader: unpacked from $debs"
fi

# NVIDIA ICD: the driver ships it as nvidia_icd.json; write one if the install lacks it.
if ! ls /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json >/dev/null 2>&1; then
  glx=$(ldconfig -p 2>/dev/null | awk '/libGLX_nvidia.so.0/{print $NF; exit}')
  if [ -n "$glx" ]; then
    icd="$OUT/.nvidia_icd.json"
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$glx" >"$icd"
    export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd"
    say "icd: wrote $icd for $glx"
  fi
fi

export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$OUT}
(nvidia-smi || true) >"$OUT/nvidia-smi.txt" 2>&1
(timeout 30 vulkaninfo --summary || true) >"$OUT/vulkaninfo.txt" 2>&1
say "devices: $(grep -E 'deviceName' "$OUT/vulkaninfo.txt" | sed 's/.*= //' | paste -sd, -)"

fixtures="$root/fixtures/arm"
rc=0
# Pick the NVIDIA device by name when there is one (lavapipe may be installed too).
sel=auto
grep -qi nvidia "$OUT/vulkaninfo.txt" && sel=NVIDIA
say "== compute backend (device: $sel)"
timeout 360 "$bin" --fixtures "$fixtures" --json "$OUT/compute.json" --big-batch 256 --device "$sel" 2>&1 | tee -a "$log"
[ "${PIPESTATUS[0]}" = 0 ] || rc=1

# Data-graph backend through the emulation layer, when its libraries were carried.
emu=${EMULATION_DIR:-}
if [ -z "$emu" ]; then
  emu=$(ls -d "$root"/.venv/lib/python3*/site-packages/emulation_layer/deploy "$root"/shared/emulation_layer/deploy 2>/dev/null | head -1)
fi
left=$((540 - ($(date +%s) - start)))
if [ -n "$emu" ] && [ -f "$emu/lib/libVkLayer_Graph.so" ] && [ $left -gt 30 ]; then
  layers="$OUT/.layers"
  mkdir -p "$layers/graph" "$layers/tensor"
  sed "s#\"libVkLayer_Graph.so\"#\"$emu/lib/libVkLayer_Graph.so\"#" "$emu/share/vulkan/explicit_layer.d/VkLayer_Graph.json" >"$layers/graph/VkLayer_Graph.json"
  sed "s#\"libVkLayer_Tensor.so\"#\"$emu/lib/libVkLayer_Tensor.so\"#" "$emu/share/vulkan/explicit_layer.d/VkLayer_Tensor.json" >"$layers/tensor/VkLayer_Tensor.json"
  say "== datagraph backend (emulation layer $emu, device: $sel)"
  VK_ADD_LAYER_PATH="$layers/graph:$layers/tensor" timeout $((left - 10)) "$bin" --fixtures "$fixtures" --json "$OUT/datagraph.json" --datagraph --device "$sel" 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" = 0 ] || rc=1
else
  say "== datagraph backend skipped: no emulation layer carried (or no time left: ${left}s)"
fi

say "elapsed: $(($(date +%s) - start)) s; result: $([ $rc = 0 ] && echo PASS || echo FAIL)"
exit $rc
