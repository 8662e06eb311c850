"""Logits of compiled models (CPU or CUDA artifacts) against PyTorch.

For each model: build the reference in PyTorch (torchvision's definition,
or d2l's classes from param_counts.py), give it random weights and random
batch-norm statistics (so that batch-norm folding is exercised), run a
random batch in eval mode, export the weights with resnetc's names and the
batch as .npy, compile the .rn model with `resnetc --target=cpu` (or the
target a --target= flag names), run it with `resnet-run` (with the
--run=FLAG flags), and compare the logits.

Error measure: max |ours - torch| / max |torch| over the batch's logits.
Tolerance: 1e-4 (fp32).

usage: cpu_inference.py RESNETC RESNET_RUN MODELS_DIR SCRIPTS_DIR WORK_DIR
       [--RESNETC-FLAG=VALUE...] [--run=--RESNET-RUN-FLAG=VALUE...] MODEL...

e.g. --target=cuda --run=--device=cuda-sim runs CUDA artifacts on the
simulated GPU.
"""

import os
import subprocess
import sys

import numpy as np
import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import param_counts as ref  # noqa: E402

TOLERANCE = 1e-4
BATCH = 2


def shortcut_attrs(block):
    return {"Residual": ["conv3"], "PreactResidual": ["conv3"],
            "ResNeXtBlock": ["conv4", "bn4"],
            "BottleneckResidual": ["conv4", "bn4"]}[type(block).__name__]


D2L = {"d2l_resnet18": ref.ResNet18, "d2l_resnet34": ref.ResNet34,
       "d2l_preact_resnet18": ref.PreactResNet18,
       "d2l_resnext18": ref.D2LResNeXt, "d2l_resnet50": ref.BottleneckResNet50}


def reference(name, tw):
    """(model, input shape without batch, {torch key: resnetc name})."""
    torch.manual_seed(0)
    if name in D2L:
        model = D2L[name]()
        model(torch.zeros(1, 1, 96, 96))  # materialize the lazy layers
        return model, (1, 96, 96), tw.d2l_names(model, shortcut_attrs)
    model = getattr(torchvision.models, name)(weights=None)
    names = {k: tw.torchvision_to_resnetc(k) for k in model.state_dict()
             if not k.endswith("num_batches_tracked")}
    return model, (3, 224, 224), names


def randomize_batch_norms(model):
    g = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            c = m.num_features
            with torch.no_grad():
                m.weight.copy_(torch.rand(c, generator=g) + 0.5)
                m.bias.copy_(torch.randn(c, generator=g) * 0.1)
                m.running_mean.copy_(torch.randn(c, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(c, generator=g) + 0.5)


def main(argv):
    resnetc, resnet_run, models_dir, scripts_dir, work = argv[1:6]
    # --run=FLAG arguments go to resnet-run, other --FLAG=VALUE ones to
    # resnetc.
    names = argv[6:]
    run_flags = [a[len("--run="):] for a in names if a.startswith("--run=")]
    flags = [a for a in names
             if a.startswith("--") and not a.startswith("--run=")]
    names = [a for a in names if not a.startswith("--")]
    ext = ".ptx" if "--target=cuda" in flags else ".so"
    if "--target=cuda" not in flags:
        flags = ["--target=cpu"] + flags
    sys.path.insert(0, scripts_dir)
    import torch_weights as tw
    torch.set_num_threads(2)
    os.makedirs(work, exist_ok=True)
    failed = 0
    for name in names:
        model, shape, names = reference(name, tw)
        randomize_batch_norms(model)
        model.eval()
        x = torch.randn(BATCH, *shape, generator=torch.Generator().manual_seed(2))
        with torch.no_grad():
            expected = model(x).numpy()
        state = model.state_dict()
        weights = {names[k]: state[k].numpy() for k in names}
        w_path = os.path.join(work, name + ".safetensors")
        x_path = os.path.join(work, name + ".input.npy")
        out_path = os.path.join(work, name + ".logits.npy")
        so_path = os.path.join(work, name + ext)
        tw.write_safetensors(w_path, weights)
        np.save(x_path, x.numpy())
        subprocess.run([resnetc, os.path.join(models_dir, name + ".rn"),
                        "--batch", str(BATCH), *flags, "-o", so_path],
                       check=True)
        subprocess.run([resnet_run, so_path, "--weights", w_path, "--data",
                        x_path, "--logits", out_path, *run_flags],
                       check=True, stdout=subprocess.DEVNULL)
        got = np.load(out_path)
        err = float(np.abs(got - expected).max() / np.abs(expected).max())
        ok = got.shape == expected.shape and err <= TOLERANCE
        failed += not ok
        print(f"{name}: max relative error {err:.2e} "
              f"{'OK' if ok else 'FAIL'}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
