"""resnetc against PyTorch (eager and torch.compile) on one GPU, in one run.

Workloads (the same model, batch, precision and optimizer on both sides):
  - d2l's ResNet-18 training on 1x96x96 images, batch 256, plain SGD;
  - ResNet-50 inference on 3x224x224 images, batch 256;
  - ResNet-50 training, batch 128, SGD with momentum 0.9 and weight decay
    1e-4;
each in fp32 (no TF32 anywhere), tf32 (TF32 convolutions: PyTorch's
default for cuDNN, resnetc --precision tf32) and bf16 (PyTorch autocast
to bfloat16 with channels_last; resnetc --precision bf16).

Both sides are timed the same way, after warm-up, with the host clock:
a training step copies its batch from pinned host memory, runs forward,
backward and the update, and brings back its loss (PyTorch: collected at
the end, so it is never slower for it); an inference batch copies its
images in and its logits out, synchronously. Peak memory is
torch.cuda.max_memory_allocated for PyTorch and the device memory
resnet-run allocated (arena, workspace, staging) for resnetc.

resnetc's numbers come from `resnet-run ARTIFACT --benchmark N` on the
artifacts test/gpu/prepare.sh compiled (bench/<model>.<mode>.<precision>.ptx).

torch.compile (default mode) compiles each model for a minute or more, so
by default it runs in tf32 only, PyTorch's default precision
(--compile-precisions).

usage: gpu.py --resnet-run PATH --artifacts DIR --out results.json
              [--steps N] [--only WORKLOAD_PRECISION,...]
              [--compile-precisions P,...] [--resnetc-only --device D]
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time

import torch
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "test", "oracle"))
import param_counts as d2l  # noqa: E402

WORKLOADS = {
    # name: (model, resnetc model, input shape, classes, batch, train, sgd)
    "d2l_resnet18_train": ("d2l_resnet18", (1, 96, 96), 10, 256, True,
                           dict(lr=0.05)),
    "resnet50_infer": ("resnet50", (3, 224, 224), 1000, 256, False, None),
    "resnet50_train": ("resnet50", (3, 224, 224), 1000, 128, True,
                       dict(lr=0.1, momentum=0.9, weight_decay=1e-4)),
}
PRECISIONS = ("fp32", "tf32", "bf16")


def make_model(name):
    if name == "d2l_resnet18":
        model = d2l.ResNet18()
        model(torch.zeros(1, 1, 96, 96))  # materialize the lazy layers
        return model
    return getattr(torchvision.models, name)(weights=None)


def set_precision(precision):
    tf32 = precision == "tf32"
    torch.backends.cudnn.allow_tf32 = tf32
    torch.backends.cuda.matmul.allow_tf32 = tf32


def bench_torch(model_name, shape, classes, batch, train, sgd, precision,
                compiled, steps, warmup=5):
    """Images per second and peak memory of PyTorch on the workload."""
    set_precision(precision)
    torch.manual_seed(0)
    model = make_model(model_name).cuda().to(memory_format=torch.channels_last)
    model.train(train)
    run = torch.compile(model) if compiled else model
    x_host = torch.randn(batch, *shape).pin_memory()
    y_host = torch.randint(0, classes, (batch,)).pin_memory()
    opt = torch.optim.SGD(model.parameters(), **sgd) if train else None
    autocast = torch.autocast("cuda", dtype=torch.bfloat16,
                              enabled=precision == "bf16")
    torch.cuda.reset_peak_memory_stats()

    def step():
        x = x_host.cuda(non_blocking=True).to(
            memory_format=torch.channels_last)
        if train:
            y = y_host.cuda(non_blocking=True)
            opt.zero_grad(set_to_none=True)
            with autocast:
                loss = F.cross_entropy(run(x), y)
            loss.backward()
            opt.step()
            return loss.detach()
        with torch.no_grad(), autocast:
            return run(x).float().cpu()

    for _ in range(warmup):
        step()
    torch.cuda.synchronize()
    start = time.perf_counter()
    losses = [step() for _ in range(steps)]
    if train:
        torch.stack(losses).cpu()
    torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    return {"images_per_s": steps * batch / seconds,
            "peak_memory_gb": torch.cuda.max_memory_allocated() / 1e9}


def bench_resnetc(resnet_run, artifact, train, sgd, steps, device=""):
    """Images per second and device memory of resnet-run --benchmark."""
    cmd = [resnet_run, artifact, "--benchmark", str(steps)]
    if device:
        cmd += ["--device", device]
    if train:
        cmd += ["--train", "--lr", str(sgd["lr"])]
    out = subprocess.run(cmd, check=True, capture_output=True,
                         text=True).stdout
    m = re.search(r"([0-9.]+) images/s; device memory ([0-9.]+) GB", out)
    if not m:
        raise RuntimeError("unexpected resnet-run output: " + out)
    return {"images_per_s": float(m.group(1)),
            "peak_memory_gb": float(m.group(2)), "output": out.strip()}


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--resnet-run", required=True)
    ap.add_argument("--artifacts", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--only", default="",
                    help="comma-separated workload_precision names")
    ap.add_argument("--resnetc-only", action="store_true",
                    help="run resnetc's side alone (a dry run of the "
                    "script, e.g. with --device cuda-sim and small steps)")
    ap.add_argument("--device", default="",
                    help="resnet-run --device (default: the GPU)")
    ap.add_argument("--compile-precisions", default="tf32",
                    help="precisions also run with torch.compile ('' for "
                    "none)")
    args = ap.parse_args(argv[1:])
    report = {
        "gpu": ("n/a" if args.resnetc_only else
                torch.cuda.get_device_name(0)),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version(),
        "steps": args.steps,
        "command": " ".join(argv),
        "results": [],
    }
    only = set(filter(None, args.only.split(",")))
    for workload, (model, shape, classes, batch, train, sgd) in \
            WORKLOADS.items():
        for precision in PRECISIONS:
            key = f"{workload}_{precision}"
            if only and key not in only:
                continue
            mode = "train" if train else "infer"
            artifact = os.path.join(args.artifacts,
                                    f"{model}.{mode}.{precision}.ptx")
            row = {"workload": workload, "precision": precision,
                   "batch": batch}
            for side, fn in (
                    ("resnetc", lambda: bench_resnetc(
                        args.resnet_run, artifact, train, sgd, args.steps,
                        args.device)),
                    ("torch_eager", lambda: bench_torch(
                        model, shape, classes, batch, train, sgd, precision,
                        False, args.steps)),
                    ("torch_compile", lambda: bench_torch(
                        model, shape, classes, batch, train, sgd, precision,
                        True, args.steps))):
                if side == "torch_compile" and precision not in \
                        args.compile_precisions.split(","):
                    continue
                if side != "resnetc" and args.resnetc_only:
                    continue
                try:
                    row[side] = fn()
                except Exception as e:  # report and go on
                    row[side] = {"error": str(e)[-2000:]}
                if not args.resnetc_only:
                    torch.cuda.empty_cache()
            for side in ("torch_eager", "torch_compile"):
                if "images_per_s" in row.get(side, {}) and \
                        "images_per_s" in row["resnetc"]:
                    row["resnetc_vs_" + side] = (
                        row["resnetc"]["images_per_s"] /
                        row[side]["images_per_s"])
            report["results"].append(row)
            print(json.dumps(row), flush=True)
            # What finished is kept if the run is cut short.
            with open(args.out, "w") as f:
                json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
