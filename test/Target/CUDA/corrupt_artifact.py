"""Writes a copy of a CUDA artifact with one defect, for the error tests.

usage: corrupt_artifact.py DEFECT IN.ptx OUT.ptx
DEFECT, in the first launch of the last entry: kernel (the launch names
no .entry), bytes (it reads past its buffer), params (it passes one
argument too few); or: unterminated (the plan's comment lines do not end),
version (plan version 3), layout (the first cuDNN call's weight is nchw
among nhwc tensors), input-layout (the input batch is said to be nhwc).
"""

import json
import sys

BEGIN, END = "// resnetc-plan-begin", "// resnetc-plan-end"


def main(defect, src, dst):
    lines = open(src).read().split("\n")
    end = lines.index(END)
    plan = json.loads("".join(line[3:] for line in lines[1:end]))
    step = next(s for s in plan["entries"][-1]["steps"] if "launches" in s)
    launch = step["launches"][0]
    if defect == "kernel":
        launch["kernel"] += "_missing"
    elif defect == "bytes":
        arg = next(a for a in launch["args"] if "buffer" in a)
        arg["bytes"] = plan["buffers"][arg["buffer"]]["bytes"] + 4
    elif defect == "params":
        launch["args"].pop()
    elif defect == "version":
        plan["version"] = 3
    elif defect == "layout":
        call = next(s for e in plan["entries"] for s in e["steps"]
                    if "library" in s)
        plan["buffers"][call["args"][1]].pop("layout")
    elif defect == "input-layout":
        plan["buffers"][plan["input"]]["layout"] = "nhwc"
    text = json.dumps(plan, separators=(",", ":"))
    head = [BEGIN] + ["// " + text[i:i + 1000]
                      for i in range(0, len(text), 1000)]
    if defect != "unterminated":
        head.append(END)
    open(dst, "w").write("\n".join(head + lines[end + 1:]))


if __name__ == "__main__":
    main(*sys.argv[1:])
