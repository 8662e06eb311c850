#!/usr/bin/env python3
"""The CPU training run of docs/benchmarks.md, in PyTorch, for comparison:
models/fmnist_resnet_small.rn written in PyTorch, trained like
`resnet-run --train` (Fashion-MNIST train split at 28x28, batch 64, SGD,
lr 0.1, shuffled each epoch, last partial batch dropped, d2l's Xavier
initialization), with T threads. Prints the same lines as resnet-run.

usage: /usr/bin/python3 bench/cpu_training.py [--epochs 3] [--threads 1]
"""

import argparse
import gzip
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DIR = "/usr/share/datasets/fashion-mnist/"


def load(split):
    with gzip.open(DIR + f"{split}-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with gzip.open(DIR + f"{split}-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)
    return (torch.tensor(x, dtype=torch.float32) / 255,
            torch.tensor(y, dtype=torch.int64))


class Basic(nn.Module):
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


def model():
    m = nn.Sequential(nn.Conv2d(1, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16),
                      nn.ReLU(), Basic(16, 16, 1), Basic(16, 32, 2),
                      Basic(32, 64, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                      nn.Linear(64, 10))
    for mod in m.modules():
        if isinstance(mod, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(mod.weight)
    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    xtr, ytr = load("train")
    xte, yte = load("t10k")
    net = model()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    batch = 64
    steps = len(xtr) // batch
    for epoch in range(1, args.epochs + 1):
        net.train()
        order = torch.randperm(len(xtr))
        loss_sum, correct, start = 0.0, 0, time.perf_counter()
        for s in range(steps):
            idx = order[s * batch:(s + 1) * batch]
            out = net(xtr[idx])
            loss = F.cross_entropy(out, ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += float(loss)
            correct += int((out.argmax(1) == ytr[idx]).sum())
        seconds = time.perf_counter() - start
        net.eval()
        with torch.no_grad():
            test_acc = float((net(xte).argmax(1) == yte).float().mean())
        print(f"epoch {epoch}: loss {loss_sum / steps:.3f}, train acc "
              f"{correct / (steps * batch):.3f}, test acc {test_acc:.3f}\n"
              f"{steps * batch / seconds:.1f} examples/sec on cpu", flush=True)


if __name__ == "__main__":
    main()
