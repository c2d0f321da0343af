#!/usr/bin/env bash
# Trains `dcgan` and PyTorch's `examples/dcgan` (reference/train_torch.py) with identical
# settings, seed after seed, for the side-by-side in RESULTS.md; PyTorch's generator is then
# imported into a dcgan run folder so that both are sampled and scored by the same code.
#
#   reference/side_by_side.sh SET SEEDS OUT_DIR
#
# SET is mnist, cifar10 or celeba (settings below); SEEDS e.g. "0 1 2"; the runs go to
# OUT_DIR/SET-ours-SEED and OUT_DIR/SET-torch-SEED. DCGAN (the dcgan binary) and DATA (the
# folder holding the datasets, laid out as below) come from the environment; ITERS overrides the
# set's number of iterations.
set -euo pipefail
set_name=$1
seeds=$2
out=$3
dcgan=${DCGAN:-target/release/dcgan}
data=${DATA:-/tmp/data}
threads=${THREADS:-2}
here=$(cd "$(dirname "$0")" && pwd)

case "$set_name" in
  mnist)   # the issue's first comparison: 32x32, batch 64, 1,500 iterations, z uniform
    ours_data="mnist:$data/mnist"; torch_data="mnist:$data/mnist"
    size=32; batch=64; iters=1500 ;;
  cifar10) # the paper's settings at 32x32: batch 128, 5 epochs of the 50,000 training images
    ours_data="folder:$data/cifar/cifar10-jpg/train"; torch_data="folder:$data/cifar/cifar10-jpg/train"
    size=32; batch=128; iters=1950 ;;
  celeba)  # the paper's 64x64 model on the 5,000-face subset: batch 128, 10 epochs
    ours_data="folder:$data/celeba/celeba-align-subset"; torch_data="folder:$data/celeba"
    size=64; batch=128; iters=390 ;;
  *) echo "unknown set $set_name (mnist, cifar10, celeba)" >&2; exit 2 ;;
esac
iters=${ITERS:-$iters} # a shorter (or longer) run than the set's default, the same on both sides

mkdir -p "$out"
for seed in $seeds; do
  ours="$out/$set_name-ours-$seed"
  torch="$out/$set_name-torch-$seed"
  if [ ! -e "$ours/checkpoints" ]; then
    /usr/bin/time -v "$dcgan" train --data "$ours_data" --image-size $size --batch-size $batch \
      --max-iters $iters --seed "$seed" --latent uniform --out "$ours" --force \
      --sample-every 500 --checkpoint-every $iters --quiet 2> "$out/$set_name-ours-$seed.time"
  fi
  if [ ! -e "$torch/run/checkpoints" ]; then
    /usr/bin/time -v python3 "$here/train_torch.py" --data "$torch_data" --image-size $size \
      --batch-size $batch --iters $iters --seed "$seed" --latent uniform --threads "$threads" \
      --out "$torch" 2> "$out/$set_name-torch-$seed.time"
    nc=3; [ "$set_name" = mnist ] && nc=1
    "$dcgan" import --netg "$torch/netG.safetensors" --netd "$torch/netD.safetensors" \
      --out "$torch/run" --data "$ours_data" --image-size $size --channels $nc --latent uniform --force
  fi
done

# Scoring: with FEATURES (a feature network spec) set, every run of the set is scored with
# `dcgan metrics` (10,000 samples, seeds 0-9999, against the real test split, or the training
# images for a folder without one) into OUT_DIR/SET-{ours,torch}-SEED.json, beside the floor
# (real training images against the same reference) in OUT_DIR/SET-real.json.
if [ -n "${FEATURES:-}" ]; then
  case "$set_name" in
    mnist)   real="$ours_data"; split=test; n=10000 ;;
    cifar10) real="folder:$data/cifar/cifar10-jpg/test"; split=train; n=10000 ;;
    celeba)  real="$ours_data"; split=train; n=5000 ;;
  esac
  for seed in $seeds; do
    for side in ours torch; do
      run="$out/$set_name-$side-$seed"; [ "$side" = torch ] && run="$run/run"
      "$dcgan" metrics --run "$run" --n $n --data "$real" --split $split --features "$FEATURES" \
        --json "$out/$set_name-$side-$seed.json" > /dev/null
    done
  done
  case "$set_name" in
    mnist)   floor_images="$ours_data"; floor_split=train ;;
    cifar10) floor_images="$ours_data"; floor_split=train ;;
    celeba)  floor_images="" ;;
  esac
  if [ -n "$floor_images" ]; then
    "$dcgan" metrics --images "$floor_images" --images-split $floor_split --image-size $size \
      --data "$real" --split $split --features "$FEATURES" --real-n $n \
      --json "$out/$set_name-real.json" > /dev/null
  else
    # No test split: the floor is one half of the faces (by file name) against the other.
    faces="$data/celeba/celeba-align-subset"; halves="$out/$set_name-halves"
    rm -rf "$halves"; mkdir -p "$halves/a" "$halves/b"
    mapfile -t names < <(ls "$faces" | sort)
    half=$((${#names[@]} / 2))
    for f in "${names[@]:0:half}"; do ln -s "$faces/$f" "$halves/a/$f"; done
    for f in "${names[@]:half}"; do ln -s "$faces/$f" "$halves/b/$f"; done
    "$dcgan" metrics --images "folder:$halves/a" --images-split train --image-size $size \
      --data "folder:$halves/b" --split train --features "$FEATURES" \
      --json "$out/$set_name-real.json" > /dev/null
  fi
  python3 "$here/side_by_side_table.py" "$out" "$set_name" $seeds
fi
