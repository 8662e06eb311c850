#!/usr/bin/env python3
"""PyTorch weights <-> resnetc checkpoints (safetensors with resnetc names).

resnetc names every parameter by its layer path (docs/checkpoints.md):
torchvision's `layer2.0.downsample.0.weight` is resnetc's
`stage2.block0.shortcut.conv1.weight`. This module maps state_dict names both
ways and reads and writes safetensors without the `safetensors` package.

  python3 scripts/torch_weights.py to-resnetc MODEL.pth OUT.safetensors
  python3 scripts/torch_weights.py to-torch IN.safetensors OUT.pth
  python3 scripts/torch_weights.py to-resnetc MODEL.pth OUT.safetensors \
      --model MODEL.rn [--resnetc RESNETC]
  python3 scripts/torch_weights.py to-torch IN.safetensors OUT.pth \
      --model MODEL.rn --like REFERENCE.pth [--resnetc RESNETC]

MODEL.pth is a state_dict (what `torch.save(model.state_dict(), path)`
writes). Without --model it is a torchvision ResNet/ResNeXt/Wide-ResNet's,
mapped by name. With --model, it is any module whose parameters, in the
order the module registers them, are those of the .rn model in its layer
order (each block's main path, then its shortcut) with the same shapes:
the tensors are matched by position, and every tensor that does not match
is reported with both names and shapes. to-torch names the tensors as the
state_dict REFERENCE.pth of the PyTorch model does (its values are not
used), so `model.load_state_dict(torch.load(OUT.pth))` works.
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


def model_parameters(model_rn, resnetc="resnetc"):
    """[(name, shape)] of every parameter and running statistic of a .rn
    model, in its layer order (the plan's buffers of those roles)."""
    import subprocess
    out = subprocess.run([resnetc, model_rn, "--target=cpu", "--emit=plan"],
                         check=True, capture_output=True, text=True).stdout
    plan = json.loads(out)
    return [(b["name"], tuple(b["shape"])) for b in plan["buffers"]
            if b["role"] in ("param", "state")]


# Suffixes of a parameter's optimizer state in resnetc checkpoints: SGD's
# velocity, AdamW's moments.
OPTIMIZER_STATE = (".velocity", ".exp_avg", ".exp_avg_sq")


class MismatchError(Exception):
    pass


def match_by_position(torch_entries, rn_params):
    """{torch name: resnetc name} pairing the i-th of each list, where
    torch_entries and rn_params are [(name, shape)]; raises MismatchError
    listing every pair whose shapes differ and the tensors left over."""
    problems = []
    for (t, ts), (r, rs) in zip(torch_entries, rn_params):
        if tuple(ts) != tuple(rs):
            problems.append(f"  {t} {list(ts)} <-> {r} {list(rs)}: "
                            "shapes differ")
    for t, ts in torch_entries[len(rn_params):]:
        problems.append(f"  {t} {list(ts)}: no .rn parameter left for it")
    for r, rs in rn_params[len(torch_entries):]:
        problems.append(f"  {r} {list(rs)}: no PyTorch tensor left for it")
    if problems:
        raise MismatchError(
            f"the PyTorch tensors ({len(torch_entries)}) and the .rn model's "
            f"parameters ({len(rn_params)}) do not match in order and "
            "shape:\n" + "\n".join(problems))
    return {t: r for (t, _), (r, _) in zip(torch_entries, rn_params)}


def _option(argv, name):
    if name in argv:
        i = argv.index(name)
        if i + 1 >= len(argv):
            raise SystemExit(f"{name} needs a value")
        value = argv[i + 1]
        del argv[i:i + 2]
        return value
    return None


def main(argv):
    import torch
    argv = list(argv)
    model_rn = _option(argv, "--model")
    like = _option(argv, "--like")
    resnetc = _option(argv, "--resnetc") or "resnetc"
    if len(argv) != 4 or argv[1] not in ("to-resnetc", "to-torch") or \
            (like is not None and (argv[1] != "to-torch" or not model_rn)) or \
            (argv[1] == "to-torch" and model_rn and not like):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        if argv[1] == "to-resnetc":
            state = torch.load(argv[2], map_location="cpu")
            entries = [(k, v) for k, v in state.items()
                       if not k.endswith("num_batches_tracked")]
            if model_rn:
                names = match_by_position(
                    [(k, tuple(v.shape)) for k, v in entries],
                    model_parameters(model_rn, resnetc))
            else:
                names = {k: torchvision_to_resnetc(k) for k, _ in entries}
            write_safetensors(argv[3], {names[k]: v.float().numpy()
                                        for k, v in entries})
        else:
            tensors = read_safetensors(argv[2])
            if model_rn:
                reference = torch.load(like, map_location="cpu")
                entries = [(k, tuple(v.shape)) for k, v in reference.items()
                           if not k.endswith("num_batches_tracked")]
                names = {r: t for t, r in match_by_position(
                    entries, model_parameters(model_rn, resnetc)).items()}
                missing = sorted(set(names) - set(tensors))
                if missing:
                    raise MismatchError(
                        f"{argv[2]} lacks " + ", ".join(missing))
                state = {names[r]: torch.from_numpy(tensors[r].copy())
                         for r in names}
                # What the reference has beyond the parameters (batch
                # norms' counters) keeps its value.
                for k, v in reference.items():
                    state.setdefault(k, v)
            else:
                # A training checkpoint's optimizer state is not the
                # model's: a module's state_dict has no place for it.
                state = {resnetc_to_torchvision(k): torch.from_numpy(v.copy())
                         for k, v in tensors.items()
                         if not k.endswith(OPTIMIZER_STATE)}
            torch.save(state, argv[3])
    except (MismatchError, KeyError) as e:
        print(f"torch_weights.py: error: {e.args[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
