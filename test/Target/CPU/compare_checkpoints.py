"""Compares two checkpoints' tensors (metadata aside).

usage: compare_checkpoints.py A B SCRIPTS_DIR [--tolerance T]

Without --tolerance: exits 0 if they are bit-identical, printing
'identical: N tensors'. With it: exits 0 if every tensor's max |a - b| /
max |b| is at most T, printing 'within T: N tensors'. Otherwise names the
first difference and exits 1."""

import sys

import numpy as np

sys.path.insert(0, sys.argv[3])
import torch_weights as tw  # noqa: E402

tolerance = None
if len(sys.argv) > 5 and sys.argv[4] == "--tolerance":
    tolerance = float(sys.argv[5])
a, b = tw.read_safetensors(sys.argv[1]), tw.read_safetensors(sys.argv[2])
if sorted(a) != sorted(b):
    print("different tensor names")
    sys.exit(1)
for k in sorted(a):
    if a[k].shape != b[k].shape:
        print(f"different shapes: {k}")
        sys.exit(1)
    if tolerance is None:
        if not np.array_equal(a[k], b[k]):
            print(f"different: {k}")
            sys.exit(1)
        continue
    x, y = a[k].astype(np.float64), b[k].astype(np.float64)
    err = np.abs(x - y).max() / max(np.abs(y).max(), 1e-30)
    if err > tolerance:
        print(f"different: {k}: {err:.2e}")
        sys.exit(1)
print(f"identical: {len(a)} tensors" if tolerance is None else
      f"within {tolerance:.0e}: {len(a)} tensors")
