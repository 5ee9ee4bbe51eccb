#!/usr/bin/env bash
# gpu-check.sh KIT OUT — measure vkcnn and PyTorch side by side on a machine with an NVIDIA
# GPU, from a kit made by `make device-kit` (KIT holds train, mnist/, libvulkan1_*.deb and
# torch_lenet.py; nothing is built there). Writes logs and JSON lines into OUT.
set -uo pipefail
kit=${1:-.device}
out=${2:-${OUT:-/tmp/vkcnn-out}}
mkdir -p "$out"
for f in "$kit"/libvulkan1_*.deb; do dpkg -x "$f" / ; done
ldconfig
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > "$out/gpu.txt" 2>&1
run() { # name, then the command
  local name=$1; shift
  echo "== $name: $*" | tee -a "$out/summary.txt"
  timeout 300 "$@" > "$out/$name.log" 2>&1
  echo "rc=$? $(tail -n 1 "$out/$name.log" | cut -c1-400)" | tee -a "$out/summary.txt"
}
run profile64 "$kit/train" -data "$kit/mnist" -device gpu -epochs 0 -profile -batch 64
run profile1 "$kit/train" -data "$kit/mnist" -device gpu -epochs 0 -profile -batch 1
run vkcnn64 "$kit/train" -data "$kit/mnist" -device gpu -batch 64 -epochs 5 -json
run vkcnn1 "$kit/train" -data "$kit/mnist" -device gpu -batch 1 -lr0 0.03 -lr1 0.001 -momentum 0 -epochs 1 -json
run torch64 python3 "$kit/torch_lenet.py" "$kit/mnist" --device cuda --batch 64 --epochs 2
run torch1 python3 "$kit/torch_lenet.py" "$kit/mnist" --device cuda --batch 1 --epochs 1 --limit 6000
