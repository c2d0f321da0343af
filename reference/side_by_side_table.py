"""The side-by-side table of RESULTS.md from the JSON reports of reference/side_by_side.sh.

    python reference/side_by_side_table.py OUT_DIR SET SEED [SEED ...]
"""

import json
import os
import statistics
import sys

out, name, seeds = sys.argv[1], sys.argv[2], sys.argv[3:]


def load(path):
    with open(path) as f:
        return json.load(f)


def row(label, r):
    pr = r["precision_recall"]
    kid = r["kid"]
    return (f"| {label} | {r['fid']['value']:.2f} | {1000 * kid['mean']:.2f} +- {1000 * kid['std']:.2f} "
            f"| {pr['precision']:.3f} | {pr['recall']:.3f} |")


network = None
print("| run | FID | KID x 1000 | precision | recall |")
print("|---|---|---|---|---|")
summary = {}
for side in ["ours", "torch"]:
    fids = []
    for seed in seeds:
        r = load(os.path.join(out, f"{name}-{side}-{seed}.json"))
        network = r["network"]
        fids.append(r["fid"]["value"])
        label = {"ours": "dcgan", "torch": "PyTorch examples/dcgan"}[side]
        print(row(f"{label}, seed {seed}", r))
    summary[side] = fids
floor = os.path.join(out, f"{name}-real.json")
if os.path.exists(floor):
    print(row("real training images (the floor)", load(floor)))
print()
for side, fids in summary.items():
    sd = statistics.stdev(fids) if len(fids) > 1 else 0.0
    print(f"{side}: FID mean {statistics.mean(fids):.2f}, std {sd:.2f}, "
          f"range {min(fids):.2f}-{max(fids):.2f} over {len(fids)} seeds")
print(f"features: {network}")
