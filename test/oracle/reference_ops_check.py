"""The naive reference (reference_ops.py) against torch.nn.functional, so
that the in-project oracle is itself checked by an independent one."""

import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_ops as R  # noqa: E402

rng = np.random.default_rng(0)


def t(a):
    return torch.from_numpy(a)


def check(name, ours, theirs):
    err = float(np.abs(ours - theirs.numpy()).max() /
                max(np.abs(theirs.numpy()).max(), 1e-30))
    print(f"{name}: {err:.1e} {'OK' if err < 1e-10 else 'FAIL'}")
    return err < 1e-10


ok = True
x = rng.standard_normal((2, 8, 9, 9))
for stride, pad, dil, groups in [(1, 0, 1, 1), (2, 1, 1, 1), (2, 2, 2, 4),
                                 (1, 1, 1, 8)]:
    w = rng.standard_normal((8, 8 // groups, 3, 3))
    b = rng.standard_normal(8)
    ok &= check(f"conv2d s{stride} p{pad} d{dil} g{groups}",
                R.conv2d(x, w, b, stride, pad, dil, groups),
                F.conv2d(t(x), t(w), t(b), stride, pad, dil, groups))
g, be, m, v = (rng.standard_normal(8), rng.standard_normal(8),
               rng.standard_normal(8), rng.uniform(0.5, 2, 8))
ok &= check("batch_norm", R.batch_norm(x, g, be, m, v),
            F.batch_norm(t(x), t(m), t(v), t(g), t(be), False, 0.1, 1e-5))
ok &= check("max_pool2d", R.max_pool2d(x, 3, 2, 1), F.max_pool2d(t(x), 3, 2, 1))
ok &= check("avg_pool2d", R.avg_pool2d(x, 3, 2, 1), F.avg_pool2d(t(x), 3, 2, 1))
ok &= check("global_avg_pool", R.global_avg_pool(x),
            F.adaptive_avg_pool2d(t(x), 1))
w2, b2 = rng.standard_normal((5, 648)), rng.standard_normal(5)
ok &= check("linear", R.linear(R.flatten(x), w2, b2),
            F.linear(t(x).flatten(1), t(w2), t(b2)))
sys.exit(0 if ok else 1)
