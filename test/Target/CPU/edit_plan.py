"""Edits the plan inside a CPU artifact in place of its bytes, keeping the
file's length (the JSON is padded with spaces), for the runtime's tests of
plans that no longer match their code.

usage: edit_plan.py IN OUT EDIT, EDIT one of
  drop-arg    remove the last argument of infer's first step
  swap-args   swap the last two arguments of infer's first step
  cudnn-call  name the first oneDNN call a cuDNN call
  avx9        make the plan's first CPU feature 'avx9'"""

import re
import sys

data = open(sys.argv[1], "rb").read()


if sys.argv[3] == "cudnn-call":
    old, new = b'"onednn.conv2d_forward"', b'"cudnn.conv2d_forward" '
    if old not in data:
        sys.exit("no oneDNN call found")
    open(sys.argv[2], "wb").write(data.replace(old, new, 1))
    sys.exit(0)
if sys.argv[3] == "avx9":
    m = re.search(rb'"features":\["([a-z0-9.]*)"', data)
    if not m:
        sys.exit("no CPU features found")
    new = b"avx9"
    data = data[:m.start(1)] + new + b'"' + b" " * (len(m.group(1)) - len(new)) \
        + data[m.end(1) + 1:]
    open(sys.argv[2], "wb").write(data)
    sys.exit(0)
step = re.compile(rb'("name":"infer","steps":\[\{"kernel":"[^"]*",'
                  rb'"layer":"[^"]*","per_image":(?:true|false),"args":\[)'
                  rb'([0-9,]*)(\])')
m = step.search(data)
if not m:
    sys.exit("no infer step found")
args = m.group(2).split(b",")
if sys.argv[3] == "drop-arg":
    args = args[:-1]
elif sys.argv[3] == "swap-args":
    args[-1], args[-2] = args[-2], args[-1]
else:
    sys.exit("unknown edit " + sys.argv[3])
new = b",".join(args) + b"]"
old = m.group(2) + b"]"
new += b" " * (len(old) - len(new))
data = data[:m.start(2)] + new + data[m.end(3):]
open(sys.argv[2], "wb").write(data)
