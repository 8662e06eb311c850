"""The learning rates of resnet-run --train's schedules against PyTorch's
schedulers stepped once per epoch (StepLR, MultiStepLR, CosineAnnealingLR
over the epochs after the warm-up), and the warm-up against its documented
rule (lr * (k + 1) / (warmup * steps per epoch) at step k; the epoch line
shows the rate of the epoch's last step). Relative tolerance 5e-9: the
epoch line prints nine significant digits, so the printed rate is within
half a unit of the ninth digit.

usage: lr_schedules.py RESNET_RUN MODEL.so
"""

import math
import re
import subprocess
import sys

import torch

EPOCHS, LR, STEPS = 7, 0.2, 2  # --limit 32 at batch 16: two steps an epoch


def ours(run, model, flags):
    out = subprocess.run(
        [run, model, "--train", "--data", "fashion-mnist", "--limit", "32",
         "--epochs", str(EPOCHS), "--lr", str(LR)] + flags,
        check=True, capture_output=True, text=True).stdout
    return [float(x) for x in re.findall(r", lr ([0-9.e+-]+)\n", out)]


def torch_lrs(make, epochs, first=0):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=LR)
    sched = make(opt)
    lrs = []
    for _ in range(epochs):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return lrs


def main(run, model):
    S = torch.optim.lr_scheduler
    cases = [
        ("step", ["--lr-schedule", "step", "--lr-steps", "3",
                  "--lr-gamma", "0.5"],
         torch_lrs(lambda o: S.StepLR(o, 3, 0.5), EPOCHS)),
        ("multistep", ["--lr-schedule", "multistep", "--lr-steps", "2,5"],
         torch_lrs(lambda o: S.MultiStepLR(o, [2, 5], 0.1), EPOCHS)),
        ("cosine", ["--lr-schedule", "cosine"],
         torch_lrs(lambda o: S.CosineAnnealingLR(o, EPOCHS), EPOCHS)),
        # Two warm-up epochs (the last step of epoch e has k = 2e - 1),
        # then cosine annealing over the other five.
        ("cosine, warmup 2", ["--lr-schedule", "cosine", "--warmup-epochs",
                              "2"],
         [LR * (2 * e) / (2 * STEPS) for e in (1, 2)] +
         torch_lrs(lambda o: S.CosineAnnealingLR(o, EPOCHS - 2), EPOCHS - 2)),
    ]
    failed = 0
    for name, flags, want in cases:
        got = ours(run, model, flags)
        err = max((abs(g - w) / w if w else abs(g))
                  for g, w in zip(got, want)) if len(got) == len(want) \
            else math.inf
        ok = err <= 5e-9
        failed += not ok
        print(f"{name}: {len(got)} epochs, max relative error {err:.1e} "
              f"{'OK' if ok else 'FAIL'}")
        if not ok:
            print("  ours:   ", got, "\n  PyTorch:", want)
    return failed


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
