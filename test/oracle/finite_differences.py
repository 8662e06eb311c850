"""Finite-difference check of the compiled train_step's gradients.

With lr 0 a training step leaves the parameters unchanged and reports the
loss L(theta) (batch norm uses batch statistics, so the running statistics
it updates do not enter the loss). For a sample of coordinates k of every
parameter tensor, (L(theta + eps e_k) - L(theta - eps e_k)) / (2 eps) is
compared with the gradient from one plain SGD step at lr 1 (theta - theta').
Computed in fp32 by the compiled model, so eps is 1e-3 and the tolerance
|fd - grad| <= 1e-3 + 2e-2 |grad| is loose; it checks the chain rule, not
rounding.

usage: finite_differences.py RESNETC RESNET_RUN SCRIPTS_DIR MODEL.rn WORK_DIR
"""

import os
import re
import subprocess
import sys

import numpy as np

EPS = 1e-3


def main(argv):
    resnetc, resnet_run, scripts, model, work = argv[1:6]
    sys.path.insert(0, scripts)
    import torch_weights as tw
    os.makedirs(work, exist_ok=True)
    so = os.path.join(work, "m.so")
    subprocess.run([resnetc, "--target=cpu", model, "--batch", "4",
                    "--mode=train", "-o", so], check=True)
    rng = np.random.default_rng(3)
    shape = re.search(r"input (\d+)x(\d+)x(\d+)", open(model).read()).groups()
    x = rng.standard_normal((4, *map(int, shape))).astype(np.float32)
    np.save(os.path.join(work, "x.npy"), x)
    np.save(os.path.join(work, "y.npy"), np.array([1, 0, 3, 2], np.int64))
    init = os.path.join(work, "init.safetensors")

    def step(weights, lr, save=None):
        cmd = [resnet_run, so, "--weights", weights, "--data",
               os.path.join(work, "x.npy"), "--labels",
               os.path.join(work, "y.npy"), "--train-steps", "1", "--lr",
               str(lr)]
        if save:
            cmd += ["--save-weights", save]
        out = subprocess.run(cmd, check=True, capture_output=True,
                             text=True).stdout
        return float(re.search(r"loss ([-0-9.e+]+)", out).group(1))

    subprocess.run([resnet_run, so, "--data", os.path.join(work, "x.npy"),
                    "--limit", "1", "--seed", "2", "--save-weights", init],
                   check=True, stdout=subprocess.DEVNULL)
    theta = tw.read_safetensors(init)
    after = os.path.join(work, "after.safetensors")
    step(init, 1.0, after)
    grad = {k: theta[k].astype(np.float64) - v
            for k, v in tw.read_safetensors(after).items()
            if not k.endswith(("running_mean", "running_var"))}
    probe = os.path.join(work, "probe.safetensors")
    checked = failed = 0
    for name in sorted(grad):
        flat = theta[name].ravel()
        for k in rng.choice(flat.size, size=min(2, flat.size), replace=False):
            losses = []
            for sign in (1, -1):
                t = dict(theta)
                p = flat.copy()
                p[k] += sign * EPS
                t[name] = p.reshape(theta[name].shape)
                tw.write_safetensors(probe, t)
                losses.append(step(probe, 0.0))
            fd = (losses[0] - losses[1]) / (2 * EPS)
            g = grad[name].ravel()[k]
            checked += 1
            if abs(fd - g) > 1e-3 + 2e-2 * abs(g):
                failed += 1
                print(f"{name}[{k}]: finite difference {fd:.5f}, gradient "
                      f"{g:.5f}")
    print(f"{checked} coordinates checked, {failed} off")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
