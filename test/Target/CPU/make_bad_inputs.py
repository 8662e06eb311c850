"""Writes broken inputs for resnet-run's error tests, derived from a good
checkpoint: a missing tensor, a wrong shape, a wrong dtype, a truncated file,
a garbage header, and an input batch of the wrong shape."""

import os
import sys

import numpy as np

sys.path.insert(0, sys.argv[3])
import torch_weights as tw  # noqa: E402

good, out = sys.argv[1], sys.argv[2]
t = tw.read_safetensors(good)
missing = dict(t)
del missing["stage2.block1.conv2.weight"]
tw.write_safetensors(os.path.join(out, "missing.safetensors"), missing)
shape = dict(t)
shape["stem.conv1.weight"] = np.zeros((64, 1, 5, 5), np.float32)
tw.write_safetensors(os.path.join(out, "shape.safetensors"), shape)
dtype = dict(t)
dtype["head.linear1.bias"] = np.zeros((10,), np.float16)
tw.write_safetensors(os.path.join(out, "dtype.safetensors"), dtype)
data = open(good, "rb").read()
open(os.path.join(out, "truncated.safetensors"), "wb").write(
    data[:len(data) // 2])
open(os.path.join(out, "header.safetensors"), "wb").write(
    (40).to_bytes(8, "little") + b"{not json" + b" " * 31)
np.save(os.path.join(out, "input.npy"), np.zeros((2, 3, 96, 96), np.float32))
