"""scripts/torch_weights.py --model on a PyTorch module whose names have
nothing in common with resnetc's (features/blocks/classifier, c_a, n_a,
proj): PyTorch weights -> resnetc gives resnet-run PyTorch's logits, a
resnetc checkpoint -> PyTorch gives PyTorch resnet-run's logits (eval mode,
max |ours - torch| / max |torch| <= 1e-4, as cpu_inference.py), and a
module of another shape is refused with the tensors that differ.

usage: torch_weights_check.py RESNETC RESNET_RUN SCRIPTS_DIR WORK_DIR
"""

import os
import subprocess
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

RN = """model m {
  input 3x12x12
  classes 5
  stem { conv(8, kernel=3, padding=1) bn relu }
  stages basic [(1, 8), (1, 16)]
  head { global_avgpool flatten linear(classes) }
}
"""


class Block(nn.Module):
    def __init__(self, cin, c, stride, wide=False):
        super().__init__()
        self.c_a = nn.Conv2d(cin, c, 3, stride, 1, bias=False)
        self.n_a = nn.BatchNorm2d(c)
        self.c_b = nn.Conv2d(c, c, 5 if wide else 3, 1, 2 if wide else 1,
                             bias=False)
        self.n_b = nn.BatchNorm2d(c)
        self.proj = None
        if stride != 1 or cin != c:
            self.proj = nn.Sequential(nn.Conv2d(cin, c, 1, stride, bias=False),
                                      nn.BatchNorm2d(c))

    def forward(self, x):
        y = self.n_b(self.c_b(F.relu(self.n_a(self.c_a(x)))))
        return F.relu(y + (x if self.proj is None else self.proj(x)))


class Model(nn.Module):
    def __init__(self, wide=False):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1, bias=False),
                                      nn.BatchNorm2d(8), nn.ReLU())
        self.blocks = nn.ModuleList([Block(8, 8, 1), Block(8, 16, 2, wide)])
        self.classifier = nn.Linear(16, 5)

    def forward(self, x):
        x = self.features(x)
        for b in self.blocks:
            x = b(x)
        return self.classifier(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def rel(a, b):
    return float(np.abs(a - b).max() / np.abs(b).max())


def main(resnetc, run, scripts, work):
    os.makedirs(work, exist_ok=True)
    tw = os.path.join(scripts, "torch_weights.py")
    path = lambda f: os.path.join(work, f)
    open(path("m.rn"), "w").write(RN)
    subprocess.run([resnetc, "--target=cpu", path("m.rn"), "-o", path("m.so")],
                   check=True)
    torch.manual_seed(0)
    model = Model()
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):  # statistics of a trained model
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    model.eval()
    x = np.random.default_rng(0).standard_normal((4, 3, 12, 12)) \
        .astype(np.float32)
    np.save(path("x.npy"), x)
    torch.save(model.state_dict(), path("torch.pth"))
    flags = ["--model", path("m.rn"), "--resnetc", resnetc]

    # PyTorch -> resnetc.
    subprocess.run([sys.executable, tw, "to-resnetc", path("torch.pth"),
                    path("w.safetensors")] + flags, check=True)
    subprocess.run([run, path("m.so"), "--weights", path("w.safetensors"),
                    "--data", path("x.npy"), "--logits", path("ours.npy")],
                   check=True, stdout=subprocess.DEVNULL)
    with torch.no_grad():
        theirs = model(torch.from_numpy(x)).numpy()
    e1 = rel(np.load(path("ours.npy")), theirs)
    print(f"to-resnetc: logits max relative error {e1:.1e} "
          f"{'OK' if e1 <= 1e-4 else 'FAIL'}")

    # resnetc -> PyTorch: resnet-run's own initialization.
    subprocess.run([run, path("m.so"), "--init", "kaiming-normal", "--seed",
                    "3", "--data", path("x.npy"), "--logits",
                    path("init.npy"), "--save-weights", path("init.safetensors")],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, tw, "to-torch", path("init.safetensors"),
                    path("back.pth"), "--like", path("torch.pth")] + flags,
                   check=True)
    fresh = Model()
    fresh.load_state_dict(torch.load(path("back.pth")), strict=True)
    fresh.eval()
    with torch.no_grad():
        back = fresh(torch.from_numpy(x)).numpy()
    e2 = rel(np.load(path("init.npy")), back)
    print(f"to-torch: logits max relative error {e2:.1e} "
          f"{'OK' if e2 <= 1e-4 else 'FAIL'}")

    # A module of another shape.
    torch.save(Model(wide=True).state_dict(), path("wide.pth"))
    r = subprocess.run([sys.executable, tw, "to-resnetc", path("wide.pth"),
                        path("wide.safetensors")] + flags,
                       capture_output=True, text=True)
    print(f"mismatch: exit {r.returncode}")
    print(r.stderr, end="")
    return 0 if e1 <= 1e-4 and e2 <= 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
