"""Prints what a CUDA artifact's plan stores in which type, for the bf16
tests: the precision, the roles and dtypes of its buffers (role:dtype),
and the buffers (name dtype -> name dtype) of the first two conversion
steps (kernels c<N>_...) of each entry, one a line.

usage: plan_dtypes.py MODEL.ptx
"""

import json
import sys


def main(path):
    lines = open(path).read().split("\n")
    end = lines.index("// resnetc-plan-end")
    plan = json.loads("".join(line[3:] for line in lines[1:end]))
    buffers = plan["buffers"]
    print(plan["precision"])
    print(" ".join(sorted({f"{b['role']}:{b['dtype']}" for b in buffers})))
    for entry in plan["entries"]:
        steps = [s for s in entry["steps"] if s["kernel"].startswith("c")]
        for step in steps[:2]:
            print(entry["name"] + ": " + " -> ".join(
                f"{buffers[a]['name']} {buffers[a]['dtype']}"
                for a in step["args"]))


if __name__ == "__main__":
    main(sys.argv[1])
