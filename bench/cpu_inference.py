#!/usr/bin/env python3
"""CPU inference throughput: resnetc against PyTorch, in one run.

For each (model, batch): compile with `resnetc --target=cpu` (timed), run
`resnet-run` on random images with T threads (its printed images/s, which
excludes loading), and run the same architecture in PyTorch (Debian's
python3-torch, eval mode, torch.no_grad, T threads, two warm-up batches).
Writes a JSON record to bench/results/ and prints a Markdown table.

usage: bench/cpu_inference.py [--threads T] [--build DIR] [--cpu NAME]
                              [--conv onednn|generated]
Run from the repository root, with /usr/bin/python3 (it needs torch).
--cpu is resnetc's (x86-64-v3: AVX2 code on any machine). To measure an
AVX2 machine's path on an AVX-512 one, also cap oneDNN, which resnetc's
runtime and Debian's PyTorch share:
  ONEDNN_MAX_CPU_ISA=AVX2 bench/cpu_inference.py --cpu x86-64-v3
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torchvision

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "test", "oracle"))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import param_counts as ref  # noqa: E402
from report import write_report  # noqa: E402

CASES = [("d2l_resnet18", 64, 16), ("resnet50", 16, 8)]  # model, batch, batches


def torch_model(name):
    if name.startswith("d2l_"):
        m = {"d2l_resnet18": ref.ResNet18}[name]()
        m(torch.zeros(1, 1, 96, 96))
        return m, (1, 96, 96)
    return getattr(torchvision.models, name)(weights=None), (3, 224, 224)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--cpu", default="native")
    ap.add_argument("--conv", default=None, choices=["onednn", "generated"])
    args = ap.parse_args()
    flags = ["--cpu", args.cpu] + (["--conv", args.conv] if args.conv else [])
    resnetc = os.path.join(args.build, "bin", "resnetc")
    resnet_run = os.path.join(args.build, "bin", "resnet-run")
    torch.set_num_threads(args.threads)
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for name, batch, batches in CASES:
            model, shape = torch_model(name)
            model.eval()
            so = os.path.join(work, name + ".so")
            start = time.perf_counter()
            subprocess.run([resnetc, "--target=cpu", os.path.join(
                ROOT, "models", name + ".rn"), "--batch", str(batch), "-o",
                so] + flags, check=True)
            compile_s = time.perf_counter() - start
            x = np.random.default_rng(0).standard_normal(
                (batch * batches, *shape)).astype(np.float32)
            xpath = os.path.join(work, name + ".npy")
            np.save(xpath, x)
            out = subprocess.run([resnet_run, so, "--data", xpath,
                                  "--threads", str(args.threads)],
                                 check=True, capture_output=True,
                                 text=True).stdout
            ours = float(re.search(r"\(([0-9.]+) images/s", out).group(1))
            xt = torch.from_numpy(x)
            with torch.no_grad():
                for _ in range(2):
                    model(xt[:batch])
                start = time.perf_counter()
                for b in range(batches):
                    model(xt[b * batch:(b + 1) * batch])
                theirs = batch * batches / (time.perf_counter() - start)
            rows.append({"model": name, "batch": batch,
                         "images": batch * batches,
                         "resnetc_images_per_s": round(ours, 2),
                         "pytorch_images_per_s": round(theirs, 2),
                         "ratio": round(ours / theirs, 3),
                         "resnetc_compile_s": round(compile_s, 2)})
    write_report("cpu-inference", "cpu_inference.py", args.threads, flags,
                 {"torch": torch.__version__}, rows,
                 [("model", "model"), ("batch", "batch"),
                  ("resnetc img/s", "resnetc_images_per_s"),
                  ("PyTorch img/s", "pytorch_images_per_s"),
                  ("ratio", "ratio"), ("compile (s)", "resnetc_compile_s")])

if __name__ == "__main__":
    main()
