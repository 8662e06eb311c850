"""Training steps of CPU-compiled models against PyTorch.

For d2l's ResNet-18 at 28x28 (models/d2l_resnet18_28.rn against d2l's own
classes, names mapped by scripts/torch_weights.py) and small models (basic
blocks with conv biases and a projection, bottleneck, grouped,
pre-activation, pre-activation with the projection shortcut on the
pre-activated input (`tap`/`from`), Wide-ResNet blocks with dropout
(masks written here from rn.dropout_train's documented hash, HashDropout),
rectangular windows and pooling's ceil_mode and count_include_pad; modules
named so that their state_dict keys are resnetc's
parameter names): identical initial weights (resnet-run's seeded
initialization) and batch.

  1. One step of plain SGD at lr 1: the loss, every parameter gradient
     (the parameter's change) and the batch-norm running statistics.
  2. Five steps with momentum 0.9 and weight decay 5e-4 at lr 0.05 (with
     --optimizer adamw: AdamW, betas (0.9, 0.99), weight decay 0.01, at lr
     0.01): every
     parameter.

d2l's ResNet-18 gets the one-step checks only: on four 12x12 images its
batch norms see a handful of values each and training is chaotic there
(PyTorch's own float32 and float64 runs differ by 15% after five steps at
lr 0.05), so five-step trajectories are not comparable at all.

The reference takes ReLU's decisions from our forward pass (see ReluMasks):
the few activations that fp32 rounding puts on the other side of zero are
counted ("ReLU flips"; more than 1e-4 of all decisions fails the test) and
do not decide the comparison.

Error: max |ours - torch| / max |torch| per tensor. A gradient that is
zero in exact arithmetic (the bias of a convolution followed by batch norm
in training mode, whose mean the normalization removes) is measured against
1e-3 of the model's largest gradient instead, since fp32 leaves ~1e-7 of
noise there (1e-2 in bf16, whose rounding leaves ~1e-3). Tolerances by
precision: TOLERANCES below.

usage: train_step.py RESNETC RESNET_RUN SCRIPTS_DIR WORK_DIR
                     [--size S] [--batch B] [--models NAME,...]
                     [--five-steps NAME,...] [--target cpu|cuda]
                     [--device cpu|cuda|cuda-sim] [--precision P]
                     [--compare-cpu] [--compile-only | --no-compile]
                     [--label-smoothing S] [--optimizer sgd|adamw]

--size and --batch set the input's side (default 12) and the batch
(default 4); --models restricts the run to some models; --five-steps adds
the five-step check for models that get only the one-step check by default.
Every model's logits (inference with the initial weights) are checked too.

--target cuda compiles CUDA artifacts, which resnet-run runs on --device
(cuda, or cuda-sim, the simulated GPU); --precision picks the CUDA
precision and the tolerances (TOLERANCES below); --compare-cpu also trains
the CPU artifact and compares the five-step weights of the two.
--compile-only and --no-compile split the work for a GPU machine that has
no resnetc: compile here, run there. --label-smoothing trains both with
PyTorch's CrossEntropyLoss(label_smoothing=S); --optimizer adamw makes the
five steps AdamW's (resnetc --optimizer=adamw against torch.optim.AdamW).
"""

import argparse
import contextlib

import os
import re
import shutil
import subprocess
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

class Basic(nn.Module):
    def __init__(self, cin, c, stride, bias, proj_bn):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, c, 3, stride, 1, bias=bias)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, 1, 1, bias=bias)
        self.bn2 = nn.BatchNorm2d(c)
        self.shortcut = None
        if stride != 1 or cin != c:
            self.shortcut = nn.Module()
            self.shortcut.conv1 = nn.Conv2d(cin, c, 1, stride, bias=bias)
            if proj_bn:
                self.shortcut.bn1 = nn.BatchNorm2d(c)

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        s = x
        if self.shortcut is not None:
            s = self.shortcut.conv1(x)
            if hasattr(self.shortcut, "bn1"):
                s = self.shortcut.bn1(s)
        return F.relu(y + s)


class Bottleneck(nn.Module):
    def __init__(self, cin, c, stride, groups=1, width_per_group=64):
        super().__init__()
        w = c * width_per_group // 64 * groups
        self.conv1 = nn.Conv2d(cin, w, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(w)
        self.conv2 = nn.Conv2d(w, w, 3, stride, 1, groups=groups, bias=False)
        self.bn2 = nn.BatchNorm2d(w)
        self.conv3 = nn.Conv2d(w, 4 * c, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(4 * c)
        self.shortcut = None
        if stride != 1 or cin != 4 * c:
            self.shortcut = nn.Module()
            self.shortcut.conv1 = nn.Conv2d(cin, 4 * c, 1, stride, bias=False)
            self.shortcut.bn1 = nn.BatchNorm2d(4 * c)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        s = x if self.shortcut is None else \
            self.shortcut.bn1(self.shortcut.conv1(x))
        return F.relu(y + s)


class Preact(nn.Module):
    def __init__(self, cin, c, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, c, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, 1, 1, bias=False)
        self.shortcut = None
        if stride != 1 or cin != c:
            self.shortcut = nn.Module()
            self.shortcut.conv1 = nn.Conv2d(cin, c, 1, stride, bias=False)

    def forward(self, x):
        y = self.conv1(F.relu(self.bn1(x)))
        y = self.conv2(F.relu(self.bn2(y)))
        s = x if self.shortcut is None else self.shortcut.conv1(x)
        return y + s


class PreActBlock(Preact):
    """PyTorch's usual PreActBlock (kuangliu's CIFAR ResNets): Preact's
    layers, but a projection shortcut takes the pre-activated input (the
    identity still the input)."""

    def forward(self, x):
        out = F.relu(self.bn1(x))
        s = x if self.shortcut is None else self.shortcut.conv1(out)
        out = self.conv2(F.relu(self.bn2(self.conv1(out))))
        return out + s


# Blocks a model's .rn file defines before the model.
BLOCKS = {
    "preact_tap": """block preact_tap(channels, stride = 1) {
  main {
    bn relu tap pre
    conv(channels, kernel=3, stride=stride, padding=1)
    bn relu conv(channels, kernel=3, padding=1)
  }
  shortcut {
    if stride != 1 or in_channels != channels {
      from pre
      conv(channels, kernel=1, stride=stride)
    }
  }
}
""",
    "wide_dropout": """block wide(channels, stride = 1, p = 0.3) {
  main {
    bn relu tap pre
    conv(channels, kernel=3, stride=stride, padding=1)
    dropout(p)
    bn relu conv(channels, kernel=3, padding=1)
  }
  shortcut {
    if stride != 1 or in_channels != channels {
      from pre
      conv(channels, kernel=1, stride=stride)
    }
  }
}
""",
}


class Net(nn.Module):
    """stem -> stage1 -> stage2 -> head, named like resnetc's layer paths."""

    def __init__(self, stem_c, blocks, preact, bias, classes=5):
        super().__init__()
        self.stem = nn.Module()
        self.stem.conv1 = nn.Conv2d(3, stem_c, 3, 1, 1, bias=bias)
        self.stem.bn1 = nn.BatchNorm2d(stem_c)
        for i, b in enumerate(blocks):
            stage = nn.Module()
            stage.block0 = b
            setattr(self, f"stage{i + 1}", stage)
        self.preact = preact
        self.head = nn.Module()
        feat = [m for m in blocks[-1].modules()
                if isinstance(m, nn.Conv2d)][-1].out_channels
        if preact:
            self.head.bn1 = nn.BatchNorm2d(feat)
        self.head.linear1 = nn.Linear(feat, classes)
        self.blocks = blocks

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.stem.bn1(self.stem.conv1(x))), 3, 2, 1)
        for b in self.blocks:
            x = b(x)
        if self.preact:
            x = F.relu(self.head.bn1(x))
        return self.head.linear1(torch.flatten(F.adaptive_avg_pool2d(x, 1),
                                               1))


def mix32(x):
    """The 32-bit finalizer of rn.dropout_train's hash (RNTrainingOps.td)."""
    m = np.uint64(0xFFFFFFFF)
    x = np.asarray(x, dtype=np.uint64) & m
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x7FEB352D)) & m
    x ^= x >> np.uint64(15)
    x = (x * np.uint64(0x846CA68B)) & m
    x ^= x >> np.uint64(16)
    return x


def dropout_keep(seed, stream, shape):
    """Which elements of a tensor of `shape` (row-major) dropout stream
    `stream` keeps under the 64-bit `seed`, written from the op's
    documentation: u = (r >> 8) / 2^24 for the hash r of (seed, stream,
    index); an element is kept when u >= rate. Returns u."""
    m = np.uint64(0xFFFFFFFF)
    lo, hi = np.uint64(seed & 0xFFFFFFFF), np.uint64(seed >> 32)
    key = mix32(lo ^ mix32(hi ^ mix32(np.uint64(stream))))
    i = np.arange(int(np.prod(shape)), dtype=np.uint64) & m
    r = mix32((mix32(i ^ key) + key) & m)
    return ((r >> np.uint64(8)).astype(np.float64) / 2.0**24).reshape(shape)


def step_seed(run_seed, step):
    """train_step's dropout_seed for step `step` (from 0) of a run seeded
    `run_seed` (resnet-run --seed; Executor::setSeedAndStep)."""
    return (step << 32) | ((run_seed ^ (run_seed >> 32)) & 0xFFFFFFFF)


class HashDropout(nn.Module):
    """nn.Dropout(rate) with resnetc's masks: DROPOUT_SEED[0] is the seed
    of the current step; numbered in model order from 0."""

    def __init__(self, rate, stream):
        super().__init__()
        self.rate, self.stream = rate, stream

    def forward(self, x):
        if not self.training:
            return x
        u = dropout_keep(DROPOUT_SEED[0], self.stream, tuple(x.shape))
        mask = torch.tensor((u >= self.rate).astype(np.float64),
                            dtype=x.dtype)
        return x * mask / (1 - self.rate)


def check_dropout_masks():
    """The documented hash as a source of Bernoulli masks: over 2^20
    elements at rate 0.3, the kept fraction, and the fraction kept by two
    masks (other steps, other streams, neighbouring elements), each within
    5 standard deviations of 0.7 and 0.49."""
    n, rate = 1 << 20, 0.3
    keep = lambda seed, stream: dropout_keep(seed, stream, (n,)) >= rate
    a = keep(step_seed(RUN_SEED, 0), 0)
    pairs = {"other step": keep(step_seed(RUN_SEED, 1), 0),
             "other stream": keep(step_seed(RUN_SEED, 0), 1),
             "other seed": keep(step_seed(RUN_SEED + 1, 0), 0),
             "next element": np.roll(a, 1)}
    sigma = lambda p: 5 * (p * (1 - p) / n) ** 0.5
    ok = abs(a.mean() - 0.7) <= sigma(0.7)
    line = f"dropout masks: kept {a.mean():.4f}"
    for what, b in pairs.items():
        both = (a & b).mean()
        ok = ok and abs(both - 0.49) <= sigma(0.49)
        line += f", with {what} {both:.4f}"
    print(line + (" OK" if ok else " FAIL"), flush=True)
    return ok


DROPOUT_SEED = [0]
# The --seed of the training runs: both 32-bit halves non-zero.
RUN_SEED = 0x123456789


class WideBlock(PreActBlock):
    """A Wide-ResNet block: PreActBlock with dropout between its two
    convolutions (WRN's `conv1 -> dropout -> bn2 -> relu -> conv2`)."""

    def __init__(self, cin, c, stride, rate, stream):
        super().__init__(cin, c, stride)
        self.dropout = HashDropout(rate, stream)

    def forward(self, x):
        out = F.relu(self.bn1(x))
        s = x if self.shortcut is None else self.shortcut.conv1(out)
        out = self.conv2(F.relu(self.bn2(self.dropout(self.conv1(out)))))
        return out + s


class WideNet(Net):
    """Wide blocks, and dropout before the classifier."""

    def __init__(self):
        super().__init__(8, [WideBlock(8, 8, 1, 0.3, 0),
                             WideBlock(8, 16, 2, 0.3, 1)], True, False)
        self.head_dropout = HashDropout(0.5, 2)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.stem.bn1(self.stem.conv1(x))), 3, 2, 1)
        for b in self.blocks:
            x = b(x)
        x = torch.flatten(F.adaptive_avg_pool2d(F.relu(self.head.bn1(x)), 1),
                          1)
        return self.head.linear1(self.head_dropout(x))


class Windows(nn.Module):
    """Factorized and rectangular windows: (1, 5) and (5, 1) convolutions,
    a dilation (2, 1), pooling windows, strides and paddings that differ
    between height and width, and pooling's ceil_mode (last windows reaching
    past the padded input) and count_include_pad=False."""

    def __init__(self, classes=5):
        super().__init__()
        self.stem = nn.Module()
        self.stem.conv1 = nn.Conv2d(3, 8, (1, 5), 1, (0, 2), bias=False)
        self.stem.bn1 = nn.BatchNorm2d(8)
        self.stem.conv2 = nn.Conv2d(8, 8, (5, 1), (2, 1), (2, 0), bias=False)
        self.stem.bn2 = nn.BatchNorm2d(8)
        self.stem.conv3 = nn.Conv2d(8, 8, 3, 1, (2, 1), dilation=(2, 1),
                                    bias=False)
        self.head = nn.Module()
        self.head.linear1 = nn.Linear(8, classes)

    def forward(self, x):
        s = self.stem
        x = F.relu(s.bn1(s.conv1(x)))
        x = F.relu(s.bn2(s.conv2(x)))
        x = F.max_pool2d(x, (3, 2), 2, (1, 0), ceil_mode=True)
        x = F.avg_pool2d(s.conv3(x), (3, 2), 2, 1, ceil_mode=True,
                         count_include_pad=False)
        x = F.avg_pool2d(x, 2, ceil_mode=True)
        return self.head.linear1(torch.flatten(F.adaptive_avg_pool2d(x, 1),
                                               1))


STEM = "stem { conv(8, kernel=3, padding=1) bn relu maxpool(3, stride=2, padding=1) }"
HEAD = "head { global_avgpool flatten linear(classes) }"
def d2l_resnet18_28():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import param_counts as ref
    model = ref.ResNet18(num_classes=5)
    model.eval()  # materialize the lazy layers without batch statistics
    model(torch.zeros(1, 3, 16, 16))
    return model


ONE_STEP_ONLY = {"d2l_resnet18_28"}

MODELS = {
    "d2l_resnet18_28": (None, d2l_resnet18_28),
    "basic_bias_projection": (
        "conv_bias true\n" + STEM +
        "\nstages basic(proj_bn=false) [(1, 8), (1, 16)]\n" + HEAD,
        lambda: Net(8, [Basic(8, 8, 1, True, False),
                        Basic(8, 16, 2, True, False)], False, True)),
    "bottleneck": (
        STEM + "\nstages bottleneck [(1, 4), (1, 8)]\n" + HEAD,
        lambda: Net(8, [Bottleneck(8, 4, 1), Bottleneck(16, 8, 2)], False,
                    False)),
    "grouped": (
        STEM + "\nstages bottleneck(groups=2, width_per_group=32) "
        "[(1, 4), (1, 8)]\n" + HEAD,
        lambda: Net(8, [Bottleneck(8, 4, 1, 2, 32),
                        Bottleneck(16, 8, 2, 2, 32)], False, False)),
    "preact": (
        STEM + "\nstages preact_basic [(1, 8), (1, 16)]\n"
        "head { bn relu global_avgpool flatten linear(classes) }",
        lambda: Net(8, [Preact(8, 8, 1), Preact(8, 16, 2)], True, False)),
    "preact_tap": (
        STEM + "\nstages preact_tap [(1, 8), (1, 16)]\n"
        "head { bn relu global_avgpool flatten linear(classes) }",
        lambda: Net(8, [PreActBlock(8, 8, 1), PreActBlock(8, 16, 2)], True,
                    False)),
    "wide_dropout": (
        STEM + "\nstages wide [(1, 8), (1, 16)]\n"
        "head { bn relu global_avgpool flatten dropout(0.5) "
        "linear(classes) }",
        WideNet),
    "windows": (
        "stem { conv(8, kernel=(1, 5), padding=(0, 2)) bn relu\n"
        "  conv(8, kernel=(5, 1), stride=(2, 1), padding=(2, 0)) bn relu\n"
        "  maxpool((3, 2), stride=2, padding=(1, 0), ceil_mode=true)\n"
        "  conv(8, kernel=3, padding=(2, 1), dilation=(2, 1))\n"
        "  avgpool((3, 2), stride=2, padding=1, ceil_mode=true,\n"
        "          count_include_pad=false)\n"
        "  avgpool(2, ceil_mode=true) }\n" + HEAD,
        Windows),
}


class ReluMasks:
    """Makes the reference take ReLU's decisions from our forward pass.

    An activation within fp32 rounding of zero may land on either side of
    ReLU's kink; its gradient then flows in one computation and not in the
    other, and batch norm's backward spreads that difference over its whole
    channel. On a few thousand activations this rarely happens; on millions
    (d2l's ResNet-18 at 64x64) a few flip, and some gradients move by 1e-2
    relative, in any fp32 implementation against an fp64 one. So within
    `use(run)`, F.relu(t) is t * mask with the masks of our ReLUs in run
    `run` of train_step (read from resnet-run's --dump-activations), in
    order; everything else is computed by the reference itself. `flips`
    counts the decisions that differ from the reference's own, `total` all
    of them: many flips mean a wrong forward pass, not rounding."""

    def __init__(self, dump):
        self.dump, self.flips, self.total = dump, 0, 0

    def masks(self, run):
        # A ReLU fused into a batch norm that the CPU splits over the images
        # names three consecutive kernels (statistics, combine, normalize):
        # the ReLU's output is the last one's.
        groups = []  # [layer, last kernel number, file]
        for f in sorted(os.listdir(self.dump)):
            m = re.fullmatch(rf"train_step\.{run}\.\d+\.t(\d+)_(.*_relu\d+)"
                             r"\.0\.npy", f)
            if not m:
                continue
            kernel, name = int(m.group(1)), m.group(2)
            if groups and groups[-1][0] == name and groups[-1][1] == kernel - 1:
                groups[-1][1:] = [kernel, f]
                continue
            if any(g[0] == name for g in groups):
                break  # the backward pass's ReLUs start here
            groups.append([name, kernel, f])
        return [np.load(os.path.join(self.dump, f)) > 0 for _, _, f in groups]

    @contextlib.contextmanager
    def use(self, run):
        masks, original, used = self.masks(run), F.relu, [0]

        def masked(t, inplace=False):
            mask = masks[used[0]]
            assert tuple(t.shape) == mask.shape, (used[0], t.shape, mask.shape)
            used[0] += 1
            self.flips += int(((t > 0).numpy() != mask).sum())
            self.total += mask.size
            return t * torch.tensor(mask, dtype=t.dtype)

        F.relu = masked
        try:
            yield
        finally:
            F.relu = original
        assert used[0] == len(masks), (used[0], len(masks))


def rel(ours, ref, floor=1e-6):
    ref = np.asarray(ref, dtype=np.float64)
    return float(np.abs(np.asarray(ours, np.float64) - ref).max() /
                 max(np.abs(ref).max(), floor))


# Tolerances by precision (max relative error per tensor; see the module
# docstring for the measure). fp32: loss 1e-4, one step's gradients and
# running statistics 1e-3, every parameter and running statistic after five
# steps 1e-4, logits 1e-4. tf32 and bf16 are stated and justified in
# docs/gpu.md: TF32 rounds the convolutions' inputs to 10 mantissa bits
# (relative error 2^-11 each), bf16 stores activations and gradients with 8
# (2^-9), and the errors compound through the layers and the SGD steps.
TOLERANCES = {
    "fp32": {"logits": 1e-4, "loss": 1e-4, "step": 1e-3, "five": 1e-4,
             "zero": 1e-3},
    "tf32": {"logits": 1e-2, "loss": 1e-2, "step": 5e-2, "five": 5e-2,
             "zero": 1e-3},
    "bf16": {"logits": 5e-2, "loss": 5e-2, "step": 2e-1, "five": 2e-1,
             "zero": 1e-2},
}


def main(argv):
    ap = argparse.ArgumentParser()
    for a in ("resnetc", "resnet_run", "scripts", "work"):
        ap.add_argument(a)
    ap.add_argument("--size", type=int, default=12)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--five-steps", default="")
    ap.add_argument("--optimizer", default="sgd", choices=["sgd", "adamw"],
                    help="the optimizer of the five steps")
    ap.add_argument("--label-smoothing", type=float, default=0.0,
                    help="the loss's label smoothing, in resnet-run and "
                    "PyTorch alike")
    ap.add_argument("--resnetc-flags", default="",
                    help="more resnetc flags, e.g. '--layout nhwc'")
    ap.add_argument("--target", default="cpu", choices=["cpu", "cuda"],
                    help="what resnetc compiles for")
    ap.add_argument("--device", default="",
                    help="resnet-run --device: cpu, cuda or cuda-sim")
    ap.add_argument("--precision", default="fp32", choices=TOLERANCES,
                    help="resnetc --precision (CUDA), and the tolerances")
    ap.add_argument("--compare-cpu", action="store_true",
                    help="also train the CPU artifact and compare the "
                    "weights after five steps with ours (fp32)")
    ap.add_argument("--no-compile", action="store_true",
                    help="use the artifacts already in WORK (compiled "
                    "there before, with --compile-only)")
    ap.add_argument("--compile-only", action="store_true",
                    help="compile the artifacts into WORK and stop")
    args = ap.parse_args(argv[1:])
    resnetc, resnet_run, scripts, work = (args.resnetc, args.resnet_run,
                                          args.scripts, args.work)
    size, batch = args.size, args.batch
    smoothing = args.label_smoothing
    adamw = args.optimizer == "adamw"
    # AdamW: decoupled weight decay and a beta2 other than PyTorch's default,
    # so that both are seen to be used.
    five_flags = (["--optimizer=adamw", "--weight-decay=0.01", "--beta2=0.99",
                   "--adam-eps=1e-3"]
                  if adamw else ["--momentum=0.9", "--weight-decay=0.0005"])
    five_lr = 0.01 if adamw else 0.05
    tol = TOLERANCES[args.precision]
    one_step_only = ONE_STEP_ONLY - set(args.five_steps.split(","))
    sys.path.insert(0, scripts)
    import torch_weights as tw
    torch.set_num_threads(1)
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 3, size, size)).astype(np.float32)
    y = np.arange(batch, dtype=np.int64) * 3 % 5
    np.save(os.path.join(work, "x.npy"), x)
    np.save(os.path.join(work, "y.npy"), y)
    ext = ".ptx" if args.target == "cuda" else ".so"
    target_flags = ["--target=" + args.target]
    if args.target == "cuda":
        target_flags.append("--precision=" + args.precision)
    failed = 0
    if "wide_dropout" in args.models.split(","):
        failed += not check_dropout_masks()
    for name in args.models.split(","):
        body, make = MODELS[name]
        src = os.path.join(work, name + ".rn")
        if body is None:
            # The zoo's model, at this test's input and class count.
            text = open(os.path.join(os.path.dirname(scripts), "models",
                                     name + ".rn")).read()
            body = text[text.index("conv_bias"):text.rindex("}")]
        with open(src, "w") as f:
            f.write(BLOCKS.get(name, "") +
                    f"model {name} {{\n input 3x{size}x{size}\n classes 5\n{body}\n}}\n")

        def compile(flags, out, target=None):
            if args.no_compile:
                assert os.path.exists(out), f"{out} was not compiled"
                return
            more = args.resnetc_flags.split()
            if target:
                # The CPU target has its own convolutions and precision.
                # The CPU artifacts compared with the GPU's run where the GPU
                # is (test/gpu/run.sh): generated convolutions (a runtime
                # built without oneDNN runs them) for any AVX2 CPU.
                more = [f for f in more if not f.startswith(
                    ("--conv", "--arch", "--precision"))]
                more += ["--conv=generated", "--cpu=x86-64-v3"]
            subprocess.run([resnetc, *(target or target_flags), src,
                            "--batch", str(batch), "--mode=train", *flags,
                            *more, "-o", out],
                           check=True)

        def run(artifact, *more, device=None):
            device = args.device if device is None else device
            return subprocess.run(
                [resnet_run, artifact, *more] +
                (["--device", device] if device else []),
                check=True, capture_output=True, text=True).stdout

        def train(so, steps, lr, start, save, dump=None, device=None):
            if dump:  # no tensors of an earlier compile
                shutil.rmtree(dump, ignore_errors=True)
            out = run(so, "--weights", start, "--data",
                      os.path.join(work, "x.npy"), "--labels",
                      os.path.join(work, "y.npy"), "--train-steps",
                      str(steps), "--lr", str(lr), "--save-weights", save,
                      "--label-smoothing", str(smoothing),
                      "--seed", str(RUN_SEED),
                      *(["--dump-activations", dump] if dump else []),
                      device=device)
            return [float(v) for v in re.findall(r"loss ([-0-9.e+]+)", out)]

        plain = os.path.join(work, name + ".plain" + ext)
        momentum = os.path.join(work, name + ".momentum" + ext)
        cpu_momentum = os.path.join(work, name + ".momentum.cpu.so")
        compile([], plain)
        compile(five_flags, momentum)
        if args.compare_cpu:
            compile(five_flags, cpu_momentum, target=["--target=cpu"])
        if args.compile_only:
            print(f"{name}: compiled", flush=True)
            continue
        # Initial weights: resnet-run's initialization, with random batch
        # norm affine parameters and running statistics.
        init = os.path.join(work, name + ".init.safetensors")
        run(plain, "--data", os.path.join(work, "x.npy"), "--limit", "1",
            "--init", "kaiming-normal", "--seed", "7", "--save-weights", init)
        start = tw.read_safetensors(init)
        for k in start:
            if k.endswith("running_var"):
                start[k] = rng.uniform(0.5, 1.5, start[k].shape).astype(
                    np.float32)
            elif k.endswith("running_mean") or ".bn" in k or "head.bn" in k:
                start[k] = (rng.standard_normal(start[k].shape) * 0.1 +
                            (1.0 if k.endswith(".weight") else 0.0)).astype(
                                np.float32)
        tw.write_safetensors(init, start)

        def names_of(model):
            """torch state_dict key -> resnetc name."""
            if hasattr(model, "net"):
                return {k: v for k, v in
                        tw.d2l_names(model, lambda b: ["conv3"]).items()
                        if not k.endswith("num_batches_tracked")}
            return {k: k for k in model.state_dict()
                    if not k.endswith("num_batches_tracked")}

        def reference():
            model = make()
            state = model.state_dict()
            names = names_of(model)
            missing = [k for k in names if names[k] not in start]
            assert not missing, missing
            model.load_state_dict({k: torch.tensor(start[names[k]])
                                   if k in names else v
                                   for k, v in state.items()})
            return model.double().train()

        def five_steps(model, relu=None):
            """The model after five steps of SGD with momentum and weight
            decay at lr 0.05 (or of AdamW at lr 0.01), in the model's
            precision; ReLU's decisions
            from `relu` (a ReluMasks) when given."""
            dtype = next(model.parameters()).dtype
            if adamw:
                opt = torch.optim.AdamW(model.parameters(), lr=five_lr,
                                        betas=(0.9, 0.99), eps=1e-3,
                                        weight_decay=0.01)
            else:
                opt = torch.optim.SGD(model.parameters(), lr=five_lr,
                                      momentum=0.9, weight_decay=0.0005)
            for step in range(1, 6):
                opt.zero_grad()
                DROPOUT_SEED[0] = step_seed(RUN_SEED, step - 1)
                with relu.use(step) if relu else contextlib.nullcontext():
                    loss = F.cross_entropy(model(torch.tensor(x, dtype=dtype)),
                                           torch.tensor(y),
                                           label_smoothing=smoothing)
                loss.backward()
                opt.step()
            return model

        def torch_fp32_error():
            """PyTorch's own float32 one-step gradients and five-step
            parameters against its float64 ones."""
            m32 = reference().float()
            DROPOUT_SEED[0] = step_seed(RUN_SEED, 0)
            F.cross_entropy(m32(torch.tensor(x)), torch.tensor(y),
                            label_smoothing=smoothing).backward()
            out = {names[k]: rel(v.grad.numpy(), grads[names[k]].grad.numpy(),
                                 tol["zero"] * scale)
                   for k, v in m32.named_parameters()}
            if name not in one_step_only:
                m64 = dict(five_steps(reference()).named_parameters())
                for k, v in five_steps(reference().float()).named_parameters():
                    out["5 steps: " + k] = rel(v.detach().numpy(),
                                               m64[k].detach().numpy())
            return out

        def explain(worst):
            """The five worst tensors, with PyTorch's float32 error."""
            t32 = torch_fp32_error()
            for k, v in sorted(worst.items(), key=lambda kv: -kv[1])[:5]:
                print(f"  {k}: {v:.2e}" +
                      (f" (PyTorch float32: {t32[k]:.2e})" if k in t32
                       else ""))

        # 0. Inference: the logits of the initial weights (batch norm with
        # its running statistics).
        logits_path = os.path.join(work, name + ".logits.npy")
        run(plain, "--weights", init, "--data", os.path.join(work, "x.npy"),
            "--logits", logits_path)
        with torch.no_grad():
            expected = reference().eval()(torch.tensor(x, dtype=torch.float64))
        logits_error = rel(np.load(logits_path), expected.numpy())

        # 1. One plain step at lr 1: loss, gradients, running statistics.
        step1 = os.path.join(work, name + ".step1.safetensors")
        relu1 = ReluMasks(os.path.join(work, name + ".step1"))
        losses = train(plain, 1, 1.0, init, step1, relu1.dump)
        after = tw.read_safetensors(step1)
        model = reference()
        DROPOUT_SEED[0] = step_seed(RUN_SEED, 0)
        with relu1.use(1):
            loss = F.cross_entropy(
                model(torch.tensor(x, dtype=torch.float64)), torch.tensor(y),
                label_smoothing=smoothing)
        loss.backward()
        worst = {"loss": rel(losses[0], float(loss))}
        names = names_of(model)
        grads = {names[k]: v for k, v in model.named_parameters()}
        buffers = {names[k]: v for k, v in model.named_buffers()
                   if k in names}
        scale = max(float(g.grad.abs().max()) for g in grads.values())
        for k, v in start.items():
            if k in grads:
                worst[k] = rel(v.astype(np.float64) - after[k],
                               grads[k].grad.numpy(), tol["zero"] * scale)
            elif k in buffers:
                worst[k] = rel(after[k], buffers[k].numpy())
        line = (f"{name}: logits {logits_error:.1e}, loss "
                f"{worst['loss']:.1e}, gradients "
                f"{max(v for k, v in worst.items() if k in grads):.1e}, "
                f"running stats "
                f"{max([v for k, v in worst.items() if k in buffers]):.1e}")
        ok = (logits_error <= tol["logits"] and worst["loss"] <= tol["loss"]
              and max(worst.values()) <= tol["step"])
        # 2. Five steps with momentum and weight decay: every parameter and
        # running statistic.
        relus = [relu1]
        if name in one_step_only:
            line += " (one step)"
        else:
            step5 = os.path.join(work, name + ".step5.safetensors")
            relu5 = ReluMasks(os.path.join(work, name + ".step5"))
            train(momentum, 5, five_lr, init, step5, relu5.dump)
            after5 = tw.read_safetensors(step5)
            model = five_steps(reference(), relu5)
            five = {}
            for k, v in model.named_parameters():
                five["5 steps: " + k] = rel(after5[names[k]],
                                            v.detach().numpy())
            for k, v in model.named_buffers():
                if k in names:
                    five["5 steps: " + k] = rel(after5[names[k]], v.numpy())
            worst.update(five)
            line += ", 5 steps " + format(max(five.values()), ".1e")
            ok = ok and max(five.values()) <= tol["five"]
            relus.append(relu5)
            if args.compare_cpu:
                # The same five steps on the CPU. The two agree where they
                # take the same ReLU decisions; where rounding puts an
                # activation on the other side of the kink in one of them,
                # their trajectories part (as any two fp32 implementations'
                # do), and each is held to the reference with its own
                # decisions instead.
                cpu5 = os.path.join(work, name + ".step5.cpu.safetensors")
                cpu_relu = ReluMasks(os.path.join(work, name + ".step5.cpu"))
                train(cpu_momentum, 5, five_lr, init, cpu5, cpu_relu.dump,
                      device="cpu")
                on_cpu = tw.read_safetensors(cpu5)
                vs_cpu = max(rel(after5[k], on_cpu[k]) for k in on_cpu)
                differ = sum(int((a != b).sum()) for step in range(1, 6)
                             for a, b in zip(relu5.masks(step),
                                             cpu_relu.masks(step)))
                if differ == 0:
                    line += f", vs CPU {vs_cpu:.1e}"
                    ok = ok and vs_cpu <= tol["five"]
                else:
                    cpu_model = five_steps(reference(), cpu_relu)
                    cpu_ref = max(
                        rel(on_cpu[names[k]], v.detach().numpy())
                        for k, v in list(cpu_model.named_parameters()) +
                        [(k, v) for k, v in cpu_model.named_buffers()
                         if k in names])
                    line += (f", vs CPU {vs_cpu:.1e} ({differ} ReLU "
                             f"decisions differ; the CPU's 5 steps "
                             f"{cpu_ref:.1e})")
                    ok = ok and cpu_ref <= tol["five"]
        flips = sum(r.flips for r in relus)
        total = sum(r.total for r in relus)
        # Rounding puts a few activations on the other side of ReLU's kink;
        # many flips mean a wrong forward pass. Low precisions flip more.
        flip_limit = 1e-4 if args.precision == "fp32" else 1e-2
        ok = ok and flips <= flip_limit * total
        failed += not ok
        print(f"{line}, ReLU flips {flips}/{total} {'OK' if ok else 'FAIL'}",
              flush=True)
        if not ok:
            explain(worst)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
