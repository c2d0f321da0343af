#!/usr/bin/env bash
# Two dcgan binaries, before and after a change, alternating, the same `dcgan bench` train
# command, 3 rounds (the "before and after" table of BENCHMARKS.md):
#
#   OLD=path/to/dcgan-before NEW=target/release/dcgan reference/bench/ab_binaries.sh
set -uo pipefail
old=${OLD:?set OLD to the binary before}
new=${NEW:?set NEW to the binary after}
tmp=$(mktemp -d)
for round in 1 2 3; do
  for side in old new; do
    bin=$old; [ "$side" = new ] && bin=$new
    for size in 32 64; do
      out="$tmp/$side-$size-$round.txt"
      "$bin" bench --what train --image-sizes $size --batch-sizes 64,128 --iters 5 --warmup 2 \
        --threads 2 > "$out" 2>&1
      echo "round $round $side $size: $(grep train "$out" | tr '\n' ' ')"
    done
  done
done
rm -rf "$tmp"
