"""Writes a changed copy of a safetensors checkpoint, for resnet-run's
error tests: metadata set or removed, tensors removed or added, one value
replaced.

usage: edit_checkpoint.py IN OUT [EDIT ...], each EDIT one of
  meta:KEY=VALUE     set a metadata entry
  nometa:KEY         remove a metadata entry
  drop:NAME          remove a tensor
  drop-suffix:SUFFIX remove every tensor whose name ends with SUFFIX
  add:NAME           add a float32 tensor of shape [1]
  value:NAME:INDEX:V set element INDEX of float32 tensor NAME to V (nan,
                     inf, -inf or a number)"""

import json
import struct
import sys


def read(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        tensors[name] = (entry["dtype"], entry["shape"],
                         bytearray(body[begin:end]))
    return meta, tensors


def write(path, meta, tensors):
    header = {"__metadata__": meta} if meta else {}
    body = bytearray()
    for name in sorted(tensors):
        dtype, shape, raw = tensors[name]
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(body), len(body) + len(raw)]}
        body += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + bytes(body))


meta, tensors = read(sys.argv[1])
for edit in sys.argv[3:]:
    kind, _, arg = edit.partition(":")
    if kind == "meta":
        key, _, value = arg.partition("=")
        meta[key] = value
    elif kind == "nometa":
        del meta[arg]
    elif kind == "drop":
        del tensors[arg]
    elif kind == "drop-suffix":
        for name in [n for n in tensors if n.endswith(arg)]:
            del tensors[name]
    elif kind == "add":
        tensors[arg] = ("F32", [1], bytearray(struct.pack("<f", 0.0)))
    elif kind == "value":
        name, index, value = arg.split(":")
        raw = tensors[name][2]
        struct.pack_into("<f", raw, 4 * int(index), float(value))
    else:
        sys.exit("unknown edit " + edit)
write(sys.argv[2], meta, tensors)
