"""Checks the last row of metrics.csv against the logits of the same
weights on the same validation images: test_acc is the share of argmax hits
and test_top5 the share of labels among numpy's five largest logits.

usage: check_top5.py METRICS_CSV LOGITS_NPY LABELS_NPY
"""

import csv
import sys

import numpy as np

rows = list(csv.DictReader(open(sys.argv[1])))
logits = np.load(sys.argv[2])
labels = np.load(sys.argv[3])[:len(logits)]
top1 = float((logits.argmax(1) == labels).mean())
top5 = float((np.argsort(-logits, axis=1)[:, :5] == labels[:, None])
             .any(1).mean())
last = rows[-1]
ok = abs(float(last["test_acc"]) - top1) < 1e-6 and \
    abs(float(last["test_top5"]) - top5) < 1e-6 and float(last["seconds"]) > 0
print(f"top-1 {last['test_acc']} (numpy {top1}), top-5 {last['test_top5']} "
      f"(numpy {top5}) {'OK' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
