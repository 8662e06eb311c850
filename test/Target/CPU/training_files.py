"""Writes the first N images of Fashion-MNIST's train and test splits as the
files resnet-run --train reads besides the built-in data set: IDX files
(uncompressed, under other names), uint8 and float32 .npy arrays
(N x 1 x 28 x 28; the float32 ones are pixels / 255 as torchvision's
ToTensor, and (x - 0.5) / 0.25 of that), int64 .npy labels, float32
images made mirror-symmetric, and 3-channel uint8 images of another size
for the shape checks.

usage: training_files.py OUT_DIR N
"""

import gzip
import os
import sys

import numpy as np


def read_idx(path, count):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[:4], "big")
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big")
            for i in range(magic & 0xff)]
    body = np.frombuffer(data, np.uint8, offset=4 + 4 * len(dims))
    return body.reshape(dims)[:count]


def write_idx(path, array):
    with open(path, "wb") as f:
        f.write((0x800 | array.ndim).to_bytes(4, "big"))
        for d in array.shape:
            f.write(int(d).to_bytes(4, "big"))
        f.write(np.ascontiguousarray(array, np.uint8).tobytes())


def main(out, n):
    src = os.environ.get("RESNETC_FASHION_MNIST_DIR") or \
        "/usr/share/datasets/fashion-mnist"
    os.makedirs(out, exist_ok=True)
    for split, prefix in (("train", "train"), ("val", "t10k")):
        images = read_idx(os.path.join(src, prefix + "-images-idx3-ubyte.gz"), n)
        labels = read_idx(os.path.join(src, prefix + "-labels-idx1-ubyte.gz"), n)
        write_idx(os.path.join(out, split + "-images.idx"), images)
        write_idx(os.path.join(out, split + "-labels.idx"), labels)
        u8 = images[:, None, :, :]
        np.save(os.path.join(out, split + "-u8.npy"), u8)
        f32 = u8.astype(np.float32) / np.float32(255)
        np.save(os.path.join(out, split + "-f32.npy"), f32)
        np.save(os.path.join(out, split + "-norm.npy"),
                (f32 - np.float32(0.5)) / np.float32(0.25))
        np.save(os.path.join(out, split + "-labels.npy"),
                labels.astype(np.int64))
        # Mirror-symmetric images, which a horizontal flip leaves alone.
        np.save(os.path.join(out, split + "-sym.npy"),
                (f32 + f32[..., ::-1]) / np.float32(2))
    np.save(os.path.join(out, "rgb-u8.npy"), np.zeros((4, 3, 20, 20), np.uint8))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
