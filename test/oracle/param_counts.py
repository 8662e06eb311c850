#!/usr/bin/python3
"""PyTorch oracle for the model zoo: parameter counts and MACs.

For every model of models/, builds the reference network in PyTorch, without
resnetc: the torchvision models from torchvision.models, the "Dive into Deep
Learning" models from d2l's classes (written out below). It counts the
trainable parameters and the multiply-accumulates of one image, then compares
them and the number of logits with what `resnetc MODEL.rn --summary` prints.

MACs count the convolutions and linear layers only, bias excluded:
  conv:   Cout * Hout * Wout * (Cin / groups) * kh * kw
  linear: in_features * out_features

Usage: param_counts.py RESNETC MODELS_DIR
Exits non-zero if any model differs.
"""

import math
import os
import re
import subprocess
import sys
import warnings

import torch
import torchvision
from torch import nn
from torch.nn import functional as F

# torch warns that lazy modules are experimental; the d2l models use them.
warnings.filterwarnings("ignore", message="Lazy modules")


# --- "Dive into Deep Learning", section 8.6 (PyTorch tab) -------------------
# Residual, ResNeXtBlock and ResNet (b1, block, __init__) as in the book;
# d2l.Classifier is replaced by nn.Module and the weight initialization is
# left out (it does not change the shapes).

class Residual(nn.Module):
    """The Residual block of ResNet models."""
    def __init__(self, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1,
                                   stride=strides)
        self.conv2 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1)
        if use_1x1conv:
            self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1,
                                       stride=strides)
        else:
            self.conv3 = None
        self.bn1 = nn.LazyBatchNorm2d()
        self.bn2 = nn.LazyBatchNorm2d()

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3:
            X = self.conv3(X)
        Y += X
        return F.relu(Y)


class ResNeXtBlock(nn.Module):
    """The ResNeXt block.

    d2l's `groups` is the number of channels per group: the grouped 3x3
    convolution has bot_channels // groups groups. The .rn models use
    resnetc's `resnext` block, whose `groups` is the number of groups (16 in
    every stage of d2l_resnext18.rn), so D2LResNeXt passes
    groups = bot_channels // 16 for each stage, which gives conv2 exactly 16
    groups as in the .rn file. Unlike Residual, the projection shortcut has a
    batch norm (bn4).
    """
    def __init__(self, num_channels, groups, bot_mul, use_1x1conv=False,
                 strides=1):
        super().__init__()
        bot_channels = int(round(num_channels * bot_mul))
        self.conv1 = nn.LazyConv2d(bot_channels, kernel_size=1, stride=1)
        self.conv2 = nn.LazyConv2d(bot_channels, kernel_size=3,
                                   stride=strides, padding=1,
                                   groups=bot_channels//groups)
        self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1, stride=1)
        self.bn1 = nn.LazyBatchNorm2d()
        self.bn2 = nn.LazyBatchNorm2d()
        self.bn3 = nn.LazyBatchNorm2d()
        if use_1x1conv:
            self.conv4 = nn.LazyConv2d(num_channels, kernel_size=1,
                                       stride=strides)
            self.bn4 = nn.LazyBatchNorm2d()
        else:
            self.conv4 = None

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = F.relu(self.bn2(self.conv2(Y)))
        Y = self.bn3(self.conv3(Y))
        if self.conv4:
            X = self.bn4(self.conv4(X))
        return F.relu(Y + X)


class ResNet(nn.Module):
    def b1(self):
        return nn.Sequential(
            nn.LazyConv2d(64, kernel_size=7, stride=2, padding=3),
            nn.LazyBatchNorm2d(), nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1))

    def block(self, num_residuals, num_channels, first_block=False):
        blk = []
        for i in range(num_residuals):
            if i == 0 and not first_block:
                blk.append(Residual(num_channels, use_1x1conv=True, strides=2))
            else:
                blk.append(Residual(num_channels))
        return nn.Sequential(*blk)

    def head(self, num_classes):
        return nn.Sequential(nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
                             nn.LazyLinear(num_classes))

    def __init__(self, arch, num_classes=10):
        super().__init__()
        self.net = nn.Sequential(self.b1())
        for i, b in enumerate(arch):
            self.net.add_module(f'b{i+2}', self.block(*b, first_block=(i==0)))
        self.net.add_module('last', self.head(num_classes))

    def forward(self, X):
        return self.net(X)


class ResNet18(ResNet):
    def __init__(self, num_classes=10):
        super().__init__(((2, 64), (2, 128), (2, 256), (2, 512)), num_classes)


class ResNet34(ResNet):
    def __init__(self, num_classes=10):
        super().__init__(((3, 64), (4, 128), (6, 256), (3, 512)), num_classes)


class D2LResNeXt(ResNet18):
    """ResNet whose blocks are ResNeXtBlocks (bot_mul=1, 16 groups)."""
    num_groups = 16

    def block(self, num_residuals, num_channels, first_block=False):
        # d2l's `groups` argument is channels per group; see ResNeXtBlock.
        per_group = num_channels // self.num_groups
        blk = []
        for i in range(num_residuals):
            if i == 0 and not first_block:
                blk.append(ResNeXtBlock(num_channels, per_group, 1,
                                        use_1x1conv=True, strides=2))
            else:
                blk.append(ResNeXtBlock(num_channels, per_group, 1))
        return nn.Sequential(*blk)


# --- Variants written in the same d2l style ---------------------------------

class PreactResidual(nn.Module):
    """Pre-activation basic block: BN-ReLU-conv twice, nothing after the add;
    the 1x1 projection shortcut takes the raw input, without batch norm."""
    def __init__(self, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.bn1 = nn.LazyBatchNorm2d()
        self.conv1 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1,
                                   stride=strides)
        self.bn2 = nn.LazyBatchNorm2d()
        self.conv2 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1)
        if use_1x1conv:
            self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1,
                                       stride=strides)
        else:
            self.conv3 = None

    def forward(self, X):
        Y = self.conv1(F.relu(self.bn1(X)))
        Y = self.conv2(F.relu(self.bn2(Y)))
        if self.conv3:
            X = self.conv3(X)
        return Y + X


class PreactResNet18(ResNet18):
    def block(self, num_residuals, num_channels, first_block=False):
        blk = []
        for i in range(num_residuals):
            if i == 0 and not first_block:
                blk.append(PreactResidual(num_channels, use_1x1conv=True,
                                          strides=2))
            else:
                blk.append(PreactResidual(num_channels))
        return nn.Sequential(*blk)

    def head(self, num_classes):
        # The blocks end with the addition: normalize and activate first.
        return nn.Sequential(nn.LazyBatchNorm2d(), nn.ReLU(),
                             nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
                             nn.LazyLinear(num_classes))


class BottleneckResidual(nn.Module):
    """Bottleneck block 1x1 - 3x3 (strided) - 1x1 with expansion 4; like
    Residual, the 1x1 projection shortcut has no batch norm."""
    expansion = 4

    def __init__(self, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        out_channels = num_channels * self.expansion
        self.conv1 = nn.LazyConv2d(num_channels, kernel_size=1)
        self.conv2 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1,
                                   stride=strides)
        self.conv3 = nn.LazyConv2d(out_channels, kernel_size=1)
        if use_1x1conv:
            self.conv4 = nn.LazyConv2d(out_channels, kernel_size=1,
                                       stride=strides)
        else:
            self.conv4 = None
        self.bn1 = nn.LazyBatchNorm2d()
        self.bn2 = nn.LazyBatchNorm2d()
        self.bn3 = nn.LazyBatchNorm2d()

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = F.relu(self.bn2(self.conv2(Y)))
        Y = self.bn3(self.conv3(Y))
        if self.conv4:
            X = self.conv4(X)
        Y += X
        return F.relu(Y)


class BottleneckResNet50(ResNet34):
    def block(self, num_residuals, num_channels, first_block=False):
        # The first block of every stage changes the channel count (64 -> 256
        # in the first stage), so it always has the projection; it strides
        # in every stage but the first.
        blk = []
        for i in range(num_residuals):
            if i == 0:
                blk.append(BottleneckResidual(
                    num_channels, use_1x1conv=True,
                    strides=1 if first_block else 2))
            else:
                blk.append(BottleneckResidual(num_channels))
        return nn.Sequential(*blk)


# --- The zoo -----------------------------------------------------------------

D2L_INPUT = (1, 1, 96, 96)
IMAGENET_INPUT = (1, 3, 224, 224)


def torchvision_model(name):
    return lambda: getattr(torchvision.models, name)(weights=None)


MODELS = [
    ("d2l_resnet18", ResNet18, D2L_INPUT),
    ("d2l_resnet34", ResNet34, D2L_INPUT),
    ("d2l_preact_resnet18", PreactResNet18, D2L_INPUT),
    ("d2l_resnext18", D2LResNeXt, D2L_INPUT),
    ("d2l_resnet50", BottleneckResNet50, D2L_INPUT),
] + [
    (name, torchvision_model(name), IMAGENET_INPUT)
    for name in ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
                 "resnext50_32x4d", "resnext101_32x8d", "wide_resnet50_2")
]


def reference_counts(make, input_shape):
    """Returns (params, MACs, logits) of the PyTorch model for one image."""
    torch.manual_seed(0)
    model = make().eval()
    macs = [0]

    def conv_hook(m, inputs, output):
        kh, kw = m.kernel_size
        macs[0] += output[0].numel() * (m.in_channels // m.groups) * kh * kw

    def linear_hook(m, inputs, output):
        macs[0] += m.in_features * m.out_features

    with torch.no_grad():
        # The d2l models use lazy layers: one pass gives them their shapes.
        if any(isinstance(p, nn.parameter.UninitializedParameter)
               for p in model.parameters()):
            model(torch.zeros(input_shape))
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                m.register_forward_hook(conv_hook)
            elif isinstance(m, nn.Linear):
                m.register_forward_hook(linear_hook)
        logits = model(torch.zeros(input_shape))
    # Batch norm running statistics are buffers, not parameters.
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return params, macs[0], logits[0].numel()


def resnetc_counts(resnetc, path):
    """Returns (params, MACs, logits) from `resnetc PATH --summary`."""
    out = subprocess.run([resnetc, path, "--summary"], check=True,
                         stdout=subprocess.PIPE, universal_newlines=True).stdout
    params = int(re.search(r"^params: (\d+)$", out, re.M).group(1))
    macs = int(re.search(r"^MACs: (\d+)$", out, re.M).group(1))
    # The output shape of the last layer, the row just before `params:`.
    rows = out[:out.index("\nparams:")].splitlines()
    shape = rows[-1].split()[2]
    logits = math.prod(int(d) for d in shape.split("x"))
    return params, macs, logits


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: param_counts.py RESNETC MODELS_DIR")
    resnetc, models_dir = sys.argv[1], sys.argv[2]
    # One thread: lit runs tests in parallel, and oversubscribed OpenMP threads
    # are much slower than one.
    torch.set_num_threads(1)
    failed = False
    for name, make, input_shape in MODELS:
        ref = reference_counts(make, input_shape)
        got = resnetc_counts(resnetc, os.path.join(models_dir, name + ".rn"))
        ok = ref == got
        failed |= not ok
        eq = lambda a, b: "==" if a == b else "!="
        line = (f"{name}: params {ref[0]} {eq(ref[0], got[0])} {got[0]}, "
                f"MACs {ref[1]} {eq(ref[1], got[1])} {got[1]}")
        if ref[2] != got[2]:
            line += f", logits {ref[2]} != {got[2]}"
        print(line + (" OK" if ok else " MISMATCH"), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
