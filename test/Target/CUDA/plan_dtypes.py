"""Prints what a CUDA artifact's plan stores in which type, for the bf16
tests: the precision, the roles and dtypes of its buffers (role:dtype),
and the buffers (name dtype -> name dtype) of the first two conversion
steps (kernels c<N>_...) of its last entry, one a line.

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
    steps = [s for s in plan["entries"][-1]["steps"]
             if s["kernel"].startswith("c")][:2]
    for step in steps:
        print(" -> ".join(f"{buffers[a]['name']} {buffers[a]['dtype']}"
                          for a in step["args"]))


if __name__ == "__main__":
    main(sys.argv[1])
