"""Exits 0 if two .npy arrays agree: max |a - b| / max |b| at most TOLERANCE.

usage: compare_npy.py A.npy B.npy TOLERANCE"""

import sys

import numpy as np

a = np.load(sys.argv[1]).astype(np.float64)
b = np.load(sys.argv[2]).astype(np.float64)
tolerance = float(sys.argv[3])
if a.shape != b.shape:
    print(f"different shapes {a.shape} and {b.shape}")
    sys.exit(1)
err = float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))
ok = err <= tolerance
print(f"max relative difference {err:.2e}: {'OK' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
