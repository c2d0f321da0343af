#!/usr/bin/env bash
# How often one training iteration makes the host wait for the GPU device.
#
#   reference/bench/count_reads.sh [DCGAN_BINARY] [DEVICE]
#
# Runs `dcgan train` for 3 and for 4 iterations (64x64, widths 16, batch 16) under gdb, with
# counting breakpoints on Burn's `try_into_data_sync_impl` (every synchronous read of a tensor
# by the host) and wgpu's `wait_for_fence` (every wait on the queue, the driver's polling thread
# included), and prints both counts: their difference is one iteration's. Needs gdb and a
# binary built with a GPU feature (`cargo build -p dcgan-cli --features wgpu,vulkan`; symbols are
# enough, no debug info). DEVICE defaults to vulkan:cpu (Mesa's lavapipe, see README Backends).
set -euo pipefail
bin=${1:-target/debug/dcgan}
device=${2:-vulkan:cpu}
work=$(mktemp -d)
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$work}
cat > "$work/count.py" <<'PY'
import gdb
gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("rbreak ^burn_tensor::tensor::api::base::try_into_data_sync_impl::h", to_string=True)
gdb.execute("rbreak DeviceShared>::wait_for_fence::h", to_string=True)
for b in gdb.breakpoints():
    b.commands = "silent\ncontinue"
def done(_):
    for b in gdb.breakpoints():
        what = "host reads " if "try_into_data" in b.location else "fence waits"
        print("COUNT", what, b.hit_count)
gdb.events.exited.connect(done)
gdb.execute("run")
PY
for n in 3 4; do
    echo "== $n iterations on $device"
    gdb -batch -x "$work/count.py" --args "$bin" train --out "$work/run$n" --data builtin \
        --image-size 64 --ngf 16 --ndf 16 --nz 16 --batch-size 16 --max-iters "$n" \
        --sample-every 1000 --checkpoint-every 1000 --quiet --device "$device" 2>&1 | grep '^COUNT'
done
rm -rf "$work"
