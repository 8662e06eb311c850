"""Writes a copy of a CUDA artifact with one defect, for the error tests.

usage: corrupt_artifact.py DEFECT IN.ptx OUT.ptx
DEFECT, in the first launch of the last entry: kernel (the launch names
no .entry), bytes (it reads past its buffer), params (it passes one
argument too few); or: unterminated (the plan's comment lines do not end),
version (plan version 7), layout (the first cuDNN call's weight is nchw
among nhwc tensors), input-layout (the input batch is said to be nhwc).
Defects the plan's checks cannot see, which running finds: oob (the first
infer launch that reads an activation is given a 64-byte parameter
instead, which its threads read past), cudnn (the first cuDNN call's
padding grows by one, so its output descriptor no longer matches).
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
        plan["version"] = 7
    elif defect == "layout":
        call = next(s for e in plan["entries"] for s in e["steps"]
                    if "library" in s)
        plan["buffers"][call["args"][1]].pop("layout")
    elif defect == "input-layout":
        plan["buffers"][plan["input"]]["layout"] = "nhwc"
    elif defect == "oob":
        buffers = plan["buffers"]
        small = next(i for i, b in enumerate(buffers)
                     if b["role"] == "param" and b["bytes"] == 64)
        infer = next(e for e in plan["entries"] if e["name"] == "infer")
        arg = next(a for s in infer["steps"] for l in s.get("launches", [])
                   for a in l["args"]
                   if "buffer" in a and a["bytes"] > 256 and
                   buffers[a["buffer"]]["role"] == "activation")
        arg["buffer"], arg["bytes"] = small, 64
    elif defect == "cudnn":
        call = next(s for e in plan["entries"] for s in e["steps"]
                    if "library" in s)["library"]
        call["padding"] = [p + 1 for p in call["padding"]]
    text = json.dumps(plan, separators=(",", ":"))
    head = [BEGIN] + ["// " + text[i:i + 1000]
                      for i in range(0, len(text), 1000)]
    if defect != "unterminated":
        head.append(END)
    open(dst, "w").write("\n".join(head + lines[end + 1:]))


if __name__ == "__main__":
    main(*sys.argv[1:])
