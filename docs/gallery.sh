#!/bin/sh
# Makes every figure of docs/gallery.md. The faces run is made first by
#   dcgan train --data folder:DIR/celeba-align-subset --image-size 64 --max-iters 1750 \
#     --checkpoint-every 250 --keep-checkpoints 40 --sample-every 250 --out runs/faces
# (DIR: where ../shared/data/celeba/celeba-align-subset5000.tar is unpacked), and the
# conditional MNIST run by
#   dcgan train --data mnist:MNIST_DIR --conditional --bn-affine false --ngf 32 --ndf 32 \
#     --max-iters 1500 --sample-every 500 --out runs/mnist-conditional
# the unconditional MNIST run by
#   dcgan train --data mnist:MNIST_DIR --max-iters 1000 --sample-every 250 --out runs/mnist
# and the CIFAR-10 run by (CIFAR_DIR: where ../shared/data/cifar10-jpg/*.tar.gz are unpacked)
#   dcgan train --data folder:CIFAR_DIR/cifar10-jpg/train --image-size 32 --max-iters 2500 \
#     --checkpoint-every 500 --keep-checkpoints 10 --sample-every 500 --out runs/cifar10
# Usage: docs/gallery.sh [DCGAN_BINARY]; RUN, MNIST_RUN, MNIST_PLAIN and CIFAR_RUN override the
# run folders; a MNIST or CIFAR-10 run that is not there is skipped.
set -eu
DCGAN=${1:-target/release/dcgan}
RUN=${RUN:-runs/faces}
MNIST_RUN=${MNIST_RUN:-runs/mnist-conditional}
MNIST_PLAIN=${MNIST_PLAIN:-runs/mnist}
CIFAR_RUN=${CIFAR_RUN:-runs/cifar10}
CKPT=$RUN/checkpoints/ckpt_00001750.safetensors
OUT=docs/gallery
mkdir -p $OUT

# Samples, and the contact sheets the exemplars and boxes were picked from.
$DCGAN sample --checkpoint $CKPT --n 64 --seed 0 --out $OUT/faces-samples.png
$DCGAN sample --checkpoint $CKPT --seeds 0-95 --sheet $OUT/faces-sheet.png --columns 12

# Walks in latent space (Fig. 4): four walks through 9 seeds each.
$DCGAN interpolate --checkpoint $CKPT --points 9 --steps 3 --walks 4 --seed 1000 --out $OUT/faces-walk.png
$DCGAN interpolate --checkpoint $CKPT --points 9 --steps 8 --walks 4 --seed 1000 --gif $OUT/faces-walk.gif

# Vector arithmetic (Fig. 7): smiling woman - neutral woman + neutral man.
$DCGAN arithmetic --checkpoint $CKPT --a 17,21,57 --b 3,15,31 --c 32,126,164 --out $OUT/faces-arithmetic.png

# A "turn" direction (Fig. 8): faces turned to the viewer's left minus faces turned right.
$DCGAN turn --checkpoint $CKPT --towards 19,23,143 --away 47,85,178 --seeds 0,3,8,12,15,40 --steps 9 --out $OUT/faces-turn.png

# Guided backpropagation of D's last-layer features, trained D beside a random one (Fig. 5).
$DCGAN visualize --checkpoint $CKPT --layer last --features 0-5 --top 6 --out $OUT/faces-gbp.png

# Forgetting (Fig. 6): the boxes of docs/boxes-faces.json, drawn by hand on the sheet above.
$DCGAN forget --checkpoint $CKPT --boxes docs/boxes-faces.json --seeds 14,17,21,57,60,62,154,156,0,3,8,12 --out $OUT/faces-forget.png

# The memorisation check: samples against all 5,000 training faces (500 held out).
$DCGAN nearest --checkpoint $CKPT --n 256 --held-out 500 --show 10 --out $OUT/faces-nearest.png

# The appendix: a conditional MNIST model, one row per digit.
if [ -d "$MNIST_RUN" ]; then
  $DCGAN sample --run $MNIST_RUN --n 100 --columns 10 --out $OUT/mnist-conditional.png
fi

# MNIST, unconditional: samples at the end of training, walks, nearest training digits.
if [ -d "$MNIST_PLAIN" ]; then
  $DCGAN sample --run $MNIST_PLAIN --n 64 --seed 0 --out $OUT/mnist-samples.png
  $DCGAN interpolate --run $MNIST_PLAIN --points 9 --steps 3 --walks 3 --seed 100 --out $OUT/mnist-walk.png
  $DCGAN nearest --run $MNIST_PLAIN --n 64 --held-out 1000 --show 8 --out $OUT/mnist-nearest.png
fi

# CIFAR-10: samples at the end of training, walks, nearest training images (the run's folder).
if [ -d "$CIFAR_RUN" ]; then
  $DCGAN sample --run $CIFAR_RUN --n 64 --seed 0 --out $OUT/cifar10-samples.png
  $DCGAN interpolate --run $CIFAR_RUN --points 9 --steps 3 --walks 3 --seed 100 --out $OUT/cifar10-walk.png
  $DCGAN nearest --run $CIFAR_RUN --n 64 --held-out 1000 --show 8 --out $OUT/cifar10-nearest.png
fi
