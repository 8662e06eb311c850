"""CIFAR-style recipes of examples/cifar against PyTorch.

For Wide-ResNet-16-4 (with dropout) and PreAct ResNet-18 at 3x32x32, on
synthetic CIFAR-like images written as uint8 .npy files (ten classes, each
a smooth colour pattern plus noise):

  1. Per-step losses, augmentation off: resnet-run --train over the first
     images in order (--no-shuffle) for two epochs of SGD (base rate 0.01,
     momentum 0.9, weight decay 5e-4) under a cosine schedule, with --normalize, every
     step's loss written by --log-steps; the same steps in PyTorch (float64,
     the same initial weights, torch.optim.SGD and CosineAnnealingLR, the
     dropout masks written here from rn.dropout_train's documented hash).
     The first step's loss must be within FIRST_STEP_TOLERANCE of
     PyTorch's, relative, and each later step's within LOSS_TOLERANCE (see
     below); PyTorch's own float32 error is shown beside it.
  2. A few epochs with augmentation (--random-crop 4 --hflip, shuffled, the
     cosine schedule from rate 0.05): the epoch lines, and the loss must
     fall.

usage: recipes.py RESNETC RESNET_RUN SRC_ROOT WORK_DIR
                  [--models wrn16_4,preact_resnet18] [--step-images N]
                  [--batch B] [--train-images N] [--epochs E]
"""

import argparse
import os
import re
import subprocess
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_step as ts  # noqa: E402

# The first step's loss, as train_step.py's one-step tolerance.
FIRST_STEP_TOLERANCE = 1e-4
# The steps after it: fp32 rounding puts a few activations on the other side
# of ReLU's kink and the fp32 and float64 trajectories slowly part, the
# faster the further the loss falls. At STEP_LR over eight steps PyTorch's
# own float32 run ends 1e-6 (WRN-16-4) and 3e-4 (PreAct ResNet-18) from its
# float64 one here; at LR, where the loss of these easy images collapses,
# 2e-2 (PreAct ResNet-18), which no fp32 comparison can hold.
LOSS_TOLERANCE = 1e-3
CIFAR_NORMALIZE = [(0.4914, 0.2470), (0.4822, 0.2435), (0.4465, 0.2616)]
LR, MOMENTUM, WEIGHT_DECAY = 0.05, 0.9, 5e-4
# The per-step comparison's base rate: at LR these easy images' loss
# collapses within a few steps and the fp32 trajectories turn chaotic.
STEP_LR = 0.01


class CifarNet(nn.Module):
    """stem.conv1 -> stageS.blockB -> head (bn, relu, pool, linear), named
    like resnetc's layer paths; block(cin, c, stride, k) makes the k-th
    block of the model."""

    def __init__(self, stem, stages, block, classes=10):
        super().__init__()
        self.stem = nn.Module()
        self.stem.conv1 = nn.Conv2d(3, stem, 3, 1, 1, bias=False)
        self.blocks, cin, k = [], stem, 0
        for s, (n, c) in enumerate(stages):
            stage = nn.Module()
            for b in range(n):
                blk = block(cin, c, 2 if s > 0 and b == 0 else 1, k)
                setattr(stage, f"block{b}", blk)
                self.blocks.append(blk)
                cin, k = c, k + 1
            setattr(self, f"stage{s + 1}", stage)
        self.head = nn.Module()
        self.head.bn1 = nn.BatchNorm2d(cin)
        self.head.linear1 = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.stem.conv1(x)
        for b in self.blocks:
            x = b(x)
        x = F.adaptive_avg_pool2d(F.relu(self.head.bn1(x)), 1)
        return self.head.linear1(torch.flatten(x, 1))


MODELS = {
    "wrn16_4": lambda: CifarNet(16, [(2, 64), (2, 128), (2, 256)],
                                lambda cin, c, s, k: ts.WideBlock(cin, c, s,
                                                                  0.3, k)),
    "preact_resnet18": lambda: CifarNet(
        64, [(2, 64), (2, 128), (2, 256), (2, 512)],
        lambda cin, c, s, k: ts.PreActBlock(cin, c, s)),
}


def synthetic_cifar(n, seed):
    """n uint8 images 3x32x32 and their labels (0-9): each class a smooth
    random colour pattern, each image that pattern plus noise."""
    rng = np.random.default_rng(0)
    patterns = rng.uniform(40, 215, (10, 3, 4, 4))
    patterns = patterns.repeat(8, axis=2).repeat(8, axis=3)
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.int64)
    images = patterns[labels] + rng.normal(0, 50, (n, 3, 32, 32))
    return np.clip(np.rint(images), 0, 255).astype(np.uint8), labels


def normalized(images, dtype):
    x = torch.tensor(images, dtype=dtype) / 255
    mean = torch.tensor([m for m, _ in CIFAR_NORMALIZE], dtype=dtype)
    std = torch.tensor([s for _, s in CIFAR_NORMALIZE], dtype=dtype)
    return (x - mean.view(1, 3, 1, 1)) / std.view(1, 3, 1, 1)


def reference_losses(make, start, images, labels, batch, epochs, lr, dtype):
    """PyTorch's losses of the same steps: images in order, SGD with
    momentum and weight decay, CosineAnnealingLR stepped per epoch, the
    dropout masks of resnet-run's steps."""
    model = make()
    model.load_state_dict({k: torch.tensor(start[k]) if k in start else v
                           for k, v in model.state_dict().items()})
    model = model.to(dtype).train()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=MOMENTUM,
                          weight_decay=WEIGHT_DECAY)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    x, y = normalized(images, dtype), torch.tensor(labels)
    steps, losses = len(images) // batch, []
    for epoch in range(epochs):
        for s in range(steps):
            ts.DROPOUT_SEED[0] = ts.step_seed(ts.RUN_SEED, epoch * steps + s)
            opt.zero_grad()
            loss = F.cross_entropy(model(x[s * batch:(s + 1) * batch]),
                                   y[s * batch:(s + 1) * batch])
            loss.backward()
            opt.step()
            losses.append(float(loss))
        sched.step()
    return losses


def main(argv):
    ap = argparse.ArgumentParser()
    for a in ("resnetc", "resnet_run", "src", "work"):
        ap.add_argument(a)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--step-images", type=int, default=64)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--train-images", type=int, default=256)
    ap.add_argument("--epochs", type=int, default=3)
    args = ap.parse_args(argv[1:])
    sys.path.insert(0, os.path.join(args.src, "scripts"))
    import torch_weights as tw
    torch.set_num_threads(2)
    os.makedirs(args.work, exist_ok=True)
    work = lambda name: os.path.join(args.work, name)  # noqa: E731
    images, labels = synthetic_cifar(args.train_images, 1)
    val_images, val_labels = synthetic_cifar(args.train_images // 2, 2)
    for name, (a, b) in {"train": (images, labels),
                         "val": (val_images, val_labels)}.items():
        np.save(work(name + ".npy"), a)
        np.save(work(name + "_labels.npy"), b)
    normalize = ",".join(f"{m},{s}" for m, s in CIFAR_NORMALIZE)
    data = ["--data", work("train.npy"), "--labels", work("train_labels.npy"),
            "--val-data", work("val.npy"), "--val-labels",
            work("val_labels.npy"), "--normalize", normalize,
            "--seed", str(ts.RUN_SEED), "--lr-schedule", "cosine"]
    failed = 0
    for name in args.models.split(","):
        artifact = work(name + ".so")
        subprocess.run([args.resnetc, "--target=cpu",
                        os.path.join(args.src, "examples", "cifar",
                                     name + ".rn"),
                        "--mode=train", "--batch", str(args.batch),
                        f"--momentum={MOMENTUM}",
                        f"--weight-decay={WEIGHT_DECAY}", "-o", artifact],
                       check=True)
        run = lambda *more: subprocess.run(  # noqa: E731
            [args.resnet_run, artifact, *more], check=True,
            capture_output=True, text=True).stdout
        init = work(name + ".init.safetensors")
        run("--data", work("train.npy"), "--limit", "1", "--init",
            "kaiming-normal", "--seed", "7", "--save-weights", init)
        start = tw.read_safetensors(init)

        # 1. Per-step losses, augmentation off, images in order.
        n = args.step_images
        run(*data, "--train", "--limit", str(n), "--epochs", "2",
            "--lr", str(STEP_LR),
            "--no-shuffle", "--weights", init, "--log-steps",
            work(name + ".steps.csv"))
        rows = open(work(name + ".steps.csv")).read().split("\n")[1:]
        ours = [float(r.split(",")[2]) for r in rows if r]
        make = MODELS[name]
        ref = reference_losses(make, start, images[:n], labels[:n],
                               args.batch, 2, STEP_LR, torch.float64)
        ref32 = reference_losses(make, start, images[:n], labels[:n],
                                 args.batch, 2, STEP_LR, torch.float32)
        rel = lambda a, b: abs(a - b) / abs(b)  # noqa: E731
        errors = [rel(a, b) for a, b in zip(ours, ref)]
        err32 = max(rel(a, b) for a, b in zip(ref32, ref))
        err, first = max(errors), errors[0]
        ok = (len(ours) == len(ref) and first <= FIRST_STEP_TOLERANCE and
              err <= LOSS_TOLERANCE)
        print(f"{name}: {len(ours)} steps, loss {ours[0]:.4f} -> "
              f"{ours[-1]:.4f} (PyTorch {ref[0]:.4f} -> {ref[-1]:.4f}), "
              f"first step's relative error {first:.1e}, max "
              f"{err:.1e} (PyTorch float32: "
              f"{err32:.1e}) {'OK' if ok else 'FAIL'}", flush=True)
        failed += not ok

        # 2. Epochs with augmentation, shuffled, cosine schedule.
        out = run(*data, "--train", "--epochs", str(args.epochs),
                  "--lr", str(LR),
                  "--random-crop", "4", "--hflip", "--weights", init)
        epochs = re.findall(r"epoch (\d+): loss ([0-9.]+), train acc "
                            r"([0-9.]+), test acc ([0-9.]+)", out)
        speeds = re.findall(r"([0-9.]+) examples/sec", out)
        for (e, loss, train_acc, test_acc), speed in zip(epochs, speeds):
            print(f"{name}: epoch {e}: loss {loss}, train acc {train_acc}, "
                  f"test acc {test_acc}, {speed} examples/s", flush=True)
        falls = (len(epochs) == args.epochs and
                 float(epochs[-1][1]) < float(epochs[0][1]))
        print(f"{name}: augmented training "
              f"{'OK' if falls else 'FAIL'}", flush=True)
        failed += not falls
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
