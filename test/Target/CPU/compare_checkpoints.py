"""Exits 0 if two checkpoints hold bit-identical tensors (metadata aside),
printing 'identical: N tensors'; else names the first difference."""

import sys

import numpy as np

sys.path.insert(0, sys.argv[3])
import torch_weights as tw  # noqa: E402

a, b = tw.read_safetensors(sys.argv[1]), tw.read_safetensors(sys.argv[2])
if sorted(a) != sorted(b):
    print("different tensor names")
    sys.exit(1)
for k in sorted(a):
    if a[k].shape != b[k].shape or not np.array_equal(a[k], b[k]):
        print(f"different: {k}")
        sys.exit(1)
print(f"identical: {len(a)} tensors")
