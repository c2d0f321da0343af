#!/usr/bin/env bash
# Our GPU training and sampling beside PyTorch's CUDA eager, on one NVIDIA machine, in one run.
#
#   reference/bench/gpu.sh [OUT_DIR]          (from the repository root; default OUT_DIR bench-gpu)
#
# Builds dcgan with the Vulkan backend (and with CUDA where its build can download its LLVM
# bundle), installs PyTorch with CUDA from PyPI into a virtual environment, prints the machine
# (nvidia-smi, dcgan devices), then runs reference/bench/compare.py for each of our GPU devices
# against PyTorch on `cuda`: PyTorch's examples/dcgan model, training and sampling, 64x64 (and
# 32x32), batch 64 and 128, sides alternating, each configuration in a fresh process. The tables
# (images/s, ratio ours/PyTorch, peak host memory) go to stdout and OUT_DIR/*.md, every round to
# OUT_DIR/*.json. Figures from a real GPU go into BENCHMARKS.md with this command; figures from
# lavapipe (DCGAN_BENCH_SOFTWARE=1, below) prove only that the script works.
#
# Environment:
#   DCGAN_BENCH_ROUNDS     rounds per configuration (default 3)
#   DCGAN_BENCH_ITERS      timed repetitions per run (default 20; warm-up 5)
#   DCGAN_BENCH_SIZES      image sizes (default 64,32)
#   DCGAN_BENCH_SOFTWARE=1 no NVIDIA GPU: ours on vulkan:cpu (lavapipe) against PyTorch on the
#                          CPU, a dry run of this script (never a speed figure)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-bench-gpu}
mkdir -p "$out"
rounds=${DCGAN_BENCH_ROUNDS:-3}
iters=${DCGAN_BENCH_ITERS:-20}
sizes=${DCGAN_BENCH_SIZES:-64,32}
software=${DCGAN_BENCH_SOFTWARE:-0}

if [[ $software == 1 ]]; then
    torch_device=cpu
    devices=(vulkan:cpu)
    export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
else
    command -v nvidia-smi > /dev/null || { echo "no nvidia-smi: not an NVIDIA machine (DCGAN_BENCH_SOFTWARE=1 for a dry run)" >&2; exit 1; }
    torch_device=cuda
    devices=(vulkan)
fi

echo "== building dcgan (release, Vulkan)"
cargo build --release -p dcgan-cli --features vulkan
cp target/release/dcgan "$out/dcgan-vulkan"
if [[ $software != 1 ]]; then
    echo "== building dcgan (release, CUDA; needs internet for its LLVM bundle)"
    if cargo build --release -p dcgan-cli --features cuda,vulkan; then
        cp target/release/dcgan "$out/dcgan-cuda"
        devices+=(cuda)
    else
        echo "CUDA build failed (no internet for its LLVM download?): Vulkan only" >&2
    fi
fi

echo "== PyTorch"
if [[ ! -x $out/venv/bin/python ]]; then
    python3 -m venv "$out/venv"
    "$out/venv/bin/pip" install --quiet torch torchvision
fi
py=$out/venv/bin/python
"$py" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'available', torch.cuda.is_available())"

echo "== machine"
{
    date -u
    if [[ $software != 1 ]]; then nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; fi
    "$out/dcgan-vulkan" devices
    nproc
} | tee "$out/machine.txt"

for device in "${devices[@]}"; do
    bin=$out/dcgan-vulkan
    [[ $device == cuda ]] && bin=$out/dcgan-cuda
    name=${device//:/_}
    echo "== dcgan on $device against PyTorch on $torch_device"
    "$py" reference/bench/compare.py --dcgan "$bin" --python "$py" \
        --what train,sample --image-sizes "$sizes" --batch-sizes 64,128 \
        --device "$torch_device" --our-device "$device" --threads "$(nproc)" \
        --warmup 5 --iters "$iters" --rounds "$rounds" --json "$out/$name.json" \
        | tee "$out/$name.md"
done
echo "tables in $out/*.md; record the real-GPU ones in BENCHMARKS.md with this command"
