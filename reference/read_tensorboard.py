"""Reads a dcgan run folder with TensorBoard's own EventAccumulator (what `tensorboard --logdir`
uses to load a run) and prints what it holds as JSON: every scalar tag with its (step, value)
pairs, and every image tag with its steps and sizes. `crates/dcgan-cli/tests/tensorboard.rs`
compares this with the run's metrics.jsonl and sample grids.

    pip install tensorboard && python reference/read_tensorboard.py RUN_DIR
"""
import json
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


def main(run):
    acc = EventAccumulator(run, size_guidance={"scalars": 0, "images": 0}, purge_orphaned_data=True)
    acc.Reload()
    tags = acc.Tags()
    out = {"scalars": {}, "images": {}}
    for tag in tags["scalars"]:
        out["scalars"][tag] = [[e.step, e.value] for e in acc.Scalars(tag)]
    for tag in tags["images"]:
        out["images"][tag] = [[e.step, e.width, e.height, len(e.encoded_image_string)]
                              for e in acc.Images(tag)]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
