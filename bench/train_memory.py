#!/usr/bin/env python3
"""Peak memory of one training step of d2l_resnet18 (batch 128, 1x96x96) in
PyTorch CPU, for comparison with resnet-run's (see docs/benchmarks.md).
Run under /usr/bin/time -v; the figure is its maximum resident set size.

usage: /usr/bin/time -v /usr/bin/python3 bench/train_memory.py IMAGES.npy LABELS.npy
"""

import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "test", "oracle"))
import param_counts as ref  # noqa: E402

torch.set_num_threads(1)
model = ref.ResNet18()
model(torch.zeros(1, 1, 96, 96))
x = torch.from_numpy(np.load(sys.argv[1]))
y = torch.from_numpy(np.load(sys.argv[2]))
opt = torch.optim.SGD(model.parameters(), lr=0.01)
loss = F.cross_entropy(model(x), y)
opt.zero_grad()
loss.backward()
opt.step()
print(f"loss {float(loss):.6f}")
