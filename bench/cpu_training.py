#!/usr/bin/env python3
"""CPU training throughput: resnetc against PyTorch, in one run.

For each model: compile it with `resnetc --target=cpu --mode=train` (timed)
and train one epoch of the first N Fashion-MNIST training images at 28x28
with `resnet-run --train` (batch 64, SGD lr 0.1, T threads; its printed
examples/sec: the epoch's steps, without the evaluation after it), then
train the same architecture in PyTorch (Debian's python3-torch) the same
way: the same images, batch, optimizer and threads, timed over the epoch's
steps. Writes a JSON record to bench/results/ and prints a Markdown table.

usage: bench/cpu_training.py [--threads T] [--build DIR] [--cpu NAME]
                             [--conv onednn|generated] [--images N]
Run from the repository root, with /usr/bin/python3 (it needs torch).
"""

import argparse
import gzip
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "test", "oracle"))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import param_counts as ref  # noqa: E402
from report import write_report  # noqa: E402

DATA = "/usr/share/datasets/fashion-mnist/"
BATCH = 64
LR = 0.1


class Basic(nn.Module):
    """models/fmnist_resnet_small.rn's basic block."""

    def __init__(self, cin, c, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, c, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.proj = None
        if stride != 1 or cin != c:
            self.proj = nn.Sequential(nn.Conv2d(cin, c, 1, stride, bias=False),
                                      nn.BatchNorm2d(c))

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + (x if self.proj is None else self.proj(x)))


def fmnist_resnet_small():
    return nn.Sequential(nn.Conv2d(1, 16, 3, 2, 1, bias=False),
                         nn.BatchNorm2d(16), nn.ReLU(), Basic(16, 16, 1),
                         Basic(16, 32, 2), Basic(32, 64, 2),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(64, 10))


def d2l_resnet18_28():
    m = ref.ResNet18()
    m.eval()
    m(torch.zeros(1, 1, 28, 28))  # materializes the lazy layers
    return m.train()


CASES = [("fmnist_resnet_small", fmnist_resnet_small, 6400),
         ("d2l_resnet18_28", d2l_resnet18_28, 1920)]


def load_train(n):
    with gzip.open(DATA + "train-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with gzip.open(DATA + "train-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)
    return (torch.tensor(x[:n], dtype=torch.float32) / 255,
            torch.tensor(y[:n], dtype=torch.int64))


def pytorch_examples_per_s(make, x, y):
    torch.manual_seed(0)
    net = make()
    for mod in net.modules():
        if isinstance(mod, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(mod.weight)
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=LR)
    steps = len(x) // BATCH
    order = torch.randperm(len(x))
    start = time.perf_counter()
    for s in range(steps):
        idx = order[s * BATCH:(s + 1) * BATCH]
        out = net(x[idx])
        loss = F.cross_entropy(out, y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        float(loss)
    return steps * BATCH / (time.perf_counter() - start)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--cpu", default="native")
    ap.add_argument("--conv", default=None, choices=["onednn", "generated"])
    ap.add_argument("--images", type=int, default=0,
                    help="training images per model (default: per model)")
    args = ap.parse_args()
    flags = ["--cpu", args.cpu] + (["--conv", args.conv] if args.conv else [])
    resnetc = os.path.join(args.build, "bin", "resnetc")
    resnet_run = os.path.join(args.build, "bin", "resnet-run")
    torch.set_num_threads(args.threads)
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for name, make, images in CASES:
            images = args.images or images
            so = os.path.join(work, name + ".so")
            start = time.perf_counter()
            subprocess.run([resnetc, "--target=cpu", "--mode=train",
                            os.path.join(ROOT, "models", name + ".rn"),
                            "--batch", str(BATCH), "-o", so] + flags,
                           check=True)
            compile_s = time.perf_counter() - start
            out = subprocess.run(
                [resnet_run, so, "--train", "--data", "fashion-mnist",
                 "--epochs", "1", "--limit", str(images), "--lr", str(LR),
                 "--threads", str(args.threads)],
                check=True, capture_output=True, text=True).stdout
            ours = float(re.search(r"([0-9.]+) examples/sec", out).group(1))
            x, y = load_train(images)
            theirs = pytorch_examples_per_s(make, x, y)
            rows.append({"model": name, "batch": BATCH, "images": images,
                         "resnetc_examples_per_s": round(ours, 1),
                         "pytorch_examples_per_s": round(theirs, 1),
                         "ratio": round(ours / theirs, 3),
                         "resnetc_compile_s": round(compile_s, 2)})
    write_report("cpu-training", "cpu_training.py", args.threads, flags,
                 {"torch": torch.__version__}, rows,
                 [("model", "model"), ("batch", "batch"), ("images", "images"),
                  ("resnetc examples/s", "resnetc_examples_per_s"),
                  ("PyTorch examples/s", "pytorch_examples_per_s"),
                  ("ratio", "ratio"), ("compile (s)", "resnetc_compile_s")])

if __name__ == "__main__":
    main()
