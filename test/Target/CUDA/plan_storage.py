"""Prints how a CUDA artifact's plan stores its buffers, for the bf16 and
layout tests: the precision and layout; the roles and dtypes of its
buffers (role:dtype); the roles and layouts of its rank-4 buffers
(role:layout); and the buffers (name dtype layout -> name dtype layout) of
the first two conversion steps (kernels c<N>_...) of each entry, one a
line.

usage: plan_storage.py MODEL.ptx
"""

import json
import sys


def main(path):
    lines = open(path).read().split("\n")
    end = lines.index("// resnetc-plan-end")
    plan = json.loads("".join(line[3:] for line in lines[1:end]))
    buffers = plan["buffers"]
    print(plan["precision"], plan["layout"])
    print(" ".join(sorted({f"{b['role']}:{b['dtype']}" for b in buffers})))
    print(" ".join(sorted({f"{b['role']}:{b.get('layout', 'nchw')}"
                           for b in buffers if len(b["shape"]) == 4})))
    for entry in plan["entries"]:
        steps = [s for s in entry["steps"] if s["kernel"].startswith("c")]
        for step in steps[:2]:
            print(entry["name"] + ": " + " -> ".join(
                f"{buffers[a]['name']} {buffers[a]['dtype']} "
                f"{buffers[a].get('layout', 'nchw')}" for a in step["args"]))


if __name__ == "__main__":
    main(sys.argv[1])
