#!/usr/bin/env python3
"""PyTorch weights <-> resnetc checkpoints (safetensors with resnetc names).

resnetc names every parameter by its layer path (docs/checkpoints.md):
torchvision's `layer2.0.downsample.0.weight` is resnetc's
`stage2.block0.shortcut.conv1.weight`. This module maps state_dict names both
ways and reads and writes safetensors without the `safetensors` package.

  python3 scripts/torch_weights.py to-resnetc MODEL.pth OUT.safetensors
  python3 scripts/torch_weights.py to-torch IN.safetensors OUT.pth

MODEL.pth is a torchvision ResNet/ResNeXt/Wide-ResNet state_dict (what
`torch.save(model.state_dict(), path)` writes).
"""

import json
import re
import struct
import sys

import numpy as np

# torchvision name -> resnetc name, tried in order.
_TORCHVISION_RULES = [
    (r"^conv1\.(.*)$", r"stem.conv1.\1"),
    (r"^bn1\.(.*)$", r"stem.bn1.\1"),
    (r"^layer(\d+)\.(\d+)\.downsample\.0\.(.*)$",
     r"stage\1.block\2.shortcut.conv1.\3"),
    (r"^layer(\d+)\.(\d+)\.downsample\.1\.(.*)$",
     r"stage\1.block\2.shortcut.bn1.\3"),
    (r"^layer(\d+)\.(\d+)\.((?:conv|bn)\d+)\.(.*)$", r"stage\1.block\2.\3.\4"),
    (r"^fc\.(.*)$", r"head.linear1.\1"),
]
_RESNETC_RULES = [
    (r"^stem\.conv1\.(.*)$", r"conv1.\1"),
    (r"^stem\.bn1\.(.*)$", r"bn1.\1"),
    (r"^stage(\d+)\.block(\d+)\.shortcut\.conv1\.(.*)$",
     r"layer\1.\2.downsample.0.\3"),
    (r"^stage(\d+)\.block(\d+)\.shortcut\.bn1\.(.*)$",
     r"layer\1.\2.downsample.1.\3"),
    (r"^stage(\d+)\.block(\d+)\.((?:conv|bn)\d+)\.(.*)$", r"layer\1.\2.\3.\4"),
    (r"^head\.linear1\.(.*)$", r"fc.\1"),
]


def _apply(rules, name):
    for pattern, replacement in rules:
        if re.match(pattern, name):
            return re.sub(pattern, replacement, name)
    raise KeyError(f"no mapping for parameter '{name}'")


def torchvision_to_resnetc(name):
    """torchvision state_dict key -> resnetc parameter name."""
    return _apply(_TORCHVISION_RULES, name)


def resnetc_to_torchvision(name):
    """resnetc parameter name -> torchvision state_dict key."""
    return _apply(_RESNETC_RULES, name)


# PyTorch module class name -> the .rn layer kind (numbered per section).
_KINDS = {"Conv2d": "conv", "BatchNorm2d": "bn", "Linear": "linear",
          "ReLU": "relu", "MaxPool2d": "maxpool", "AvgPool2d": "avgpool",
          "AdaptiveAvgPool2d": "global_avgpool", "Flatten": "flatten"}


def sequential_names(seq, section):
    """Names of the layers of a plain nn.Sequential section (d2l's b1 and
    head): {module: 'stem.conv1', ...}, numbering each kind from 1."""
    counters, names = {}, {}
    for module in seq.children():
        kind = _KINDS[type(module).__name__]
        counters[kind] = counters.get(kind, 0) + 1
        names[module] = f"{section}.{kind}{counters[kind]}"
    return names


def d2l_names(model, shortcut_attrs):
    """{torch key: resnetc name} for a d2l-style model: `model.net` holds
    the stem ('0'), stages ('b2', 'b3', ...) of blocks, and the head
    ('last'). `shortcut_attrs(block)` lists a block's projection layers in
    order (e.g. ['conv3'] for d2l's Residual, ['conv4', 'bn4'] for its
    ResNeXtBlock)."""
    mapping = {}
    for child_name, child in model.net.named_children():
        if child_name in ("0", "last"):
            section = "stem" if child_name == "0" else "head"
            for module, path in sequential_names(child, section).items():
                for p, _ in module.state_dict().items():
                    mapping[f"net.{child_name}." +
                            _child_key(child, module) + f".{p}"] = f"{path}.{p}"
            continue
        stage = int(child_name[1:]) - 1
        for j, block in enumerate(child.children()):
            shortcut = shortcut_attrs(block)
            for attr, module in block.named_children():
                if module is None or not list(module.state_dict()):
                    continue
                if attr in shortcut:
                    kind = _KINDS[type(module).__name__]
                    index = sum(1 for a in shortcut[:shortcut.index(attr) + 1]
                                if _KINDS[type(getattr(block, a)).__name__]
                                == kind)
                    path = f"stage{stage}.block{j}.shortcut.{kind}{index}"
                else:
                    path = f"stage{stage}.block{j}.{attr}"
                for p in module.state_dict():
                    mapping[f"net.{child_name}.{j}.{attr}.{p}"] = \
                        f"{path}.{p}"
    return mapping


def _child_key(seq, module):
    for key, m in seq.named_children():
        if m is module:
            return key
    raise KeyError("module not found")


_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64,
           "I32": np.int32, "U8": np.uint8}


def write_safetensors(path, tensors):
    """Writes {name: numpy array} as safetensors."""
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        dtype = {v: k for k, v in _DTYPES.items()}[a.dtype.type]
        header[name] = {"dtype": dtype, "shape": list(a.shape),
                        "data_offsets": [offset, offset + a.nbytes]}
        blobs.append(a.tobytes())
        offset += a.nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    """Reads a safetensors file into {name: numpy array}."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        out[name] = np.frombuffer(data[8 + n + begin:8 + n + end],
                                  dtype=_DTYPES[info["dtype"]]).reshape(
                                      info["shape"])
    return out


def main(argv):
    import torch
    if len(argv) != 4 or argv[1] not in ("to-resnetc", "to-torch"):
        print(__doc__, file=sys.stderr)
        return 2
    if argv[1] == "to-resnetc":
        state = torch.load(argv[2], map_location="cpu")
        tensors = {torchvision_to_resnetc(k): v.float().numpy()
                   for k, v in state.items()
                   if not k.endswith("num_batches_tracked")}
        write_safetensors(argv[3], tensors)
    else:
        tensors = read_safetensors(argv[2])
        torch.save({resnetc_to_torchvision(k): torch.from_numpy(v.copy())
                    for k, v in tensors.items()}, argv[3])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
