"""Numeric test of every rn-to-linalg lowering pattern against the naive
reference (reference_ops.py): one small model per pattern, compiled with
`resnetc --target=cpu` and run by `resnet-run` on random weights and inputs.

Error measure: max |ours - reference| / max |reference|; tolerance 1e-4.

usage: lowering_numerics.py RESNETC RESNET_RUN SCRIPTS_DIR WORK_DIR
"""

import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_ops as R  # noqa: E402

TOLERANCE = 1e-4
HEAD = "head { global_avgpool flatten linear(classes) }"


def head(p, y, prefix="head.linear1"):
    return R.linear(R.flatten(R.global_avg_pool(y)), p[prefix + ".weight"],
                    p[prefix + ".bias"])


def bn(p, name, y):
    return R.batch_norm(y, p[name + ".weight"], p[name + ".bias"],
                        p[name + ".running_mean"], p[name + ".running_var"])


# name -> (input CxHxW, .rn body, reference(params, x))
CASES = {
    "conv_strided_padded_dilated": (
        "3x11x11",
        "stem { conv(6, kernel=3, stride=2, padding=2, dilation=2, bias=true) }",
        lambda p, x: head(p, R.conv2d(x, p["stem.conv1.weight"],
                                      p["stem.conv1.bias"], 2, 2, 2))),
    "conv_grouped_no_bias": (
        "8x7x7",
        "stem { conv(12, kernel=3, padding=1, groups=4) }",
        lambda p, x: head(p, R.conv2d(x, p["stem.conv1.weight"], None, 1, 1,
                                      1, 4))),
    "conv_depthwise": (
        "6x6x6",
        "stem { conv(6, kernel=3, stride=2, padding=1, groups=6) }",
        lambda p, x: head(p, R.conv2d(x, p["stem.conv1.weight"], None, 2, 1,
                                      1, 6))),
    "conv_bn_folded_relu": (
        "3x9x9",
        "stem { conv(5, kernel=3, padding=1, bias=true) bn relu }",
        lambda p, x: head(p, R.relu(bn(p, "stem.bn1", R.conv2d(
            x, p["stem.conv1.weight"], p["stem.conv1.bias"], 1, 1))))),
    "batch_norm_alone": (
        "4x5x5",
        "stem { bn relu }",
        lambda p, x: head(p, R.relu(bn(p, "stem.bn1", x)))),
    "residual_add_relu": (
        "4x6x6",
        "stem { basic(4) }",
        lambda p, x: head(p, R.relu(R.add(bn(p, "stem.basic1.bn2", R.conv2d(
            R.relu(bn(p, "stem.basic1.bn1", R.conv2d(
                x, p["stem.basic1.conv1.weight"], None, 1, 1))),
            p["stem.basic1.conv2.weight"], None, 1, 1)), x)))),
    "residual_projection": (
        "4x6x6",
        "stem { basic(8, stride=2, proj_bn=false) }",
        lambda p, x: head(p, R.relu(R.add(bn(p, "stem.basic1.bn2", R.conv2d(
            R.relu(bn(p, "stem.basic1.bn1", R.conv2d(
                x, p["stem.basic1.conv1.weight"], None, 2, 1))),
            p["stem.basic1.conv2.weight"], None, 1, 1)),
            R.conv2d(x, p["stem.basic1.shortcut.conv1.weight"], None, 2))))),
    "preact_add_without_relu": (
        "4x6x6",
        "stem { preact_basic(4) }",
        lambda p, x: head(p, R.add(R.conv2d(
            R.relu(bn(p, "stem.preact_basic1.bn2", R.conv2d(
                R.relu(bn(p, "stem.preact_basic1.bn1", x)),
                p["stem.preact_basic1.conv1.weight"], None, 1, 1))),
            p["stem.preact_basic1.conv2.weight"], None, 1, 1), x))),
    "max_pool_padded": (
        "3x9x9",
        "stem { maxpool(3, stride=2, padding=1) }",
        lambda p, x: head(p, R.max_pool2d(x, 3, 2, 1))),
    "avg_pool_padded": (
        "3x8x8",
        "stem { avgpool(3, stride=2, padding=1) }",
        lambda p, x: head(p, R.avg_pool2d(x, 3, 2, 1))),
    "linear_no_bias_flatten": (
        "2x3x3",
        "head { flatten linear(classes, bias=false) }",
        lambda p, x: R.linear(R.flatten(x), p["head.linear1.weight"])),
}


def main(argv):
    resnetc, resnet_run, scripts, work = argv[1:5]
    sys.path.insert(0, scripts)
    import torch_weights as tw
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(0)
    failed = 0
    for name, (shape, body, ref) in CASES.items():
        c, h, w = map(int, shape.split("x"))
        src = os.path.join(work, name + ".rn")
        rn_head = "" if body.startswith("head") else HEAD
        with open(src, "w") as f:
            f.write(f"model {name} {{\n  input {shape}\n  classes 4\n"
                    f"  {body}\n  {rn_head}\n}}\n")
        so = os.path.join(work, name + ".so")
        subprocess.run([resnetc, "--target=cpu", src, "--batch", "3", "-o",
                        so], check=True)
        # Random parameters with the model's names and shapes, from the
        # initialization resnet-run writes out.
        init = os.path.join(work, name + ".init.safetensors")
        x = rng.standard_normal((3, c, h, w)).astype(np.float32)
        np.save(os.path.join(work, name + ".x.npy"), x)
        subprocess.run([resnet_run, so, "--data", os.path.join(
            work, name + ".x.npy"), "--save-weights", init],
            check=True, stdout=subprocess.DEVNULL)
        params = {}
        for k, v in tw.read_safetensors(init).items():
            if k.endswith("running_var"):
                params[k] = rng.uniform(0.5, 1.5, v.shape).astype(np.float32)
            else:
                params[k] = rng.standard_normal(v.shape).astype(np.float32)
        weights = os.path.join(work, name + ".safetensors")
        tw.write_safetensors(weights, params)
        out = os.path.join(work, name + ".logits.npy")
        subprocess.run([resnet_run, so, "--weights", weights, "--data",
                        os.path.join(work, name + ".x.npy"), "--logits", out],
                       check=True, stdout=subprocess.DEVNULL)
        got = np.load(out)
        expected = ref({k: v.astype(np.float64) for k, v in params.items()},
                       x.astype(np.float64))
        err = float(np.abs(got - expected).max() / np.abs(expected).max())
        ok = got.shape == expected.shape and err <= TOLERANCE
        failed += not ok
        print(f"{name}: max relative error {err:.2e} {'OK' if ok else 'FAIL'}",
              flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
