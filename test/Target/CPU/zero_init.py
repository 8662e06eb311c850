"""zero_init_residual against torchvision: for ResNet-18 (basic blocks) and
ResNet-50 (bottlenecks) with `zero_init_residual true`, the batch-norm
weights resnet-run's initialization sets to zero are exactly those that
torchvision's resnet18/resnet50(zero_init_residual=True) zero (bn2 and bn3
of every block), names mapped by scripts/torch_weights.py; without the
setting, none are.

usage: zero_init.py RESNETC RESNET_RUN MODELS_DIR SCRIPTS_DIR WORK_DIR
"""

import os
import re
import subprocess
import sys

import numpy as np
import torchvision


def zero_weights(tensors):
    return {n for n, t in tensors.items()
            if n.endswith(".weight") and not np.any(t)}


def main(resnetc, run, models, scripts, work):
    sys.path.insert(0, scripts)
    import torch_weights as tw
    os.makedirs(work, exist_ok=True)
    x = os.path.join(work, "x.npy")
    np.save(x, np.zeros((1, 3, 32, 32), np.float32))
    failed = 0
    for name in ("resnet18", "resnet50"):
        for setting in (True, False):
            text = open(os.path.join(models, name + ".rn")).read()
            text = text.replace("input 3x224x224", "input 3x32x32")
            if setting:
                text = re.sub(r"(\n\s*classes 1000\n)",
                              r"\1  zero_init_residual true\n", text)
            src = os.path.join(work, f"{name}_{setting}.rn")
            open(src, "w").write(text)
            so = src[:-3] + ".so"
            w = src[:-3] + ".safetensors"
            subprocess.run([resnetc, "--target=cpu", src, "-o", so],
                           check=True)
            subprocess.run([run, so, "--init", "torchvision", "--data", x,
                            "--save-weights", w], check=True,
                           stdout=subprocess.DEVNULL)
            ours = zero_weights(tw.read_safetensors(w))
            model = getattr(torchvision.models, name)(
                zero_init_residual=setting)
            theirs = {tw.torchvision_to_resnetc(n) for n in zero_weights(
                {k: v.numpy() for k, v in model.state_dict().items()})}
            ok = ours == theirs and (len(ours) > 0) == setting
            failed += not ok
            print(f"{name} zero_init_residual={str(setting).lower()}: "
                  f"{len(ours)} zero batch-norm weights "
                  f"({sorted(ours)[:2]}...) {'OK' if ok else 'FAIL'}")
            if not ok:
                print("  only ours:", sorted(ours - theirs))
                print("  only torchvision's:", sorted(theirs - ours))
    return failed


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
