#!/bin/sh
# Makes the README's figures (docs/images/) of the built-in shapes. The runs are made first by
#   dcgan train --out runs/quickstart              # the quick start: 12 epochs, its last grid
#   dcgan train --out runs/readme --epochs 30      # the run the section 6 figures are drawn from
# Usage: docs/readme.sh [DCGAN_BINARY]; QUICKSTART and RUN override the run folders. The
# exemplar seeds were picked by eye on sheet.png, the boxes of docs/boxes-builtin.json drawn
# around the objects of seeds 0-21 on it.
set -eu
DCGAN=${1:-target/release/dcgan}
QUICKSTART=${QUICKSTART:-runs/quickstart}
RUN=${RUN:-runs/readme}
OUT=docs/images
mkdir -p $OUT

cp $QUICKSTART/samples/iter_00000768.png $OUT/quickstart.png
$DCGAN sample --run $RUN --seeds 0-47 --sheet $OUT/sheet.png --columns 12
$DCGAN interpolate --run $RUN --points 9 --steps 3 --walks 3 --seed 100 --out $OUT/walk.png
$DCGAN interpolate --run $RUN --points 9 --steps 6 --walks 3 --seed 100 --gif $OUT/walk.gif
# magenta rings - magenta discs + blue discs; the ring direction applied to new samples
$DCGAN arithmetic --run $RUN --a 1,2,14 --b 22,33,36 --c 11,28,38 --out $OUT/arithmetic.png
$DCGAN turn --run $RUN --towards 1,2,14 --away 22,33,36 --seeds 48-53 --steps 7 --out $OUT/turn.png
$DCGAN nearest --run $RUN --n 64 --show 6 --out $OUT/nearest.png --json /tmp/readme-nn.json
$DCGAN visualize --run $RUN --layer last --features 0-3 --top 6 --out $OUT/gbp.png
$DCGAN forget --run $RUN --boxes docs/boxes-builtin.json --seeds 24-35 --out $OUT/forget.png
