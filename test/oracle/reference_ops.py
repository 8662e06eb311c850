"""A naive, obviously-correct NumPy reference of every rn op (forward).

Written from the definitions (PyTorch's semantics), independently of the
compiler: explicit loops over the kernel window, no tricks. Arrays are
float64 NCHW; weights OIHW.
"""

import numpy as np


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    assert c == cg * groups and o % groups == 0
    xp = np.zeros((n, c, h + 2 * padding, wd + 2 * padding))
    xp[:, :, padding:padding + h, padding:padding + wd] = x
    oh = (h + 2 * padding - dilation * (kh - 1) - 1) // stride + 1
    ow = (wd + 2 * padding - dilation * (kw - 1) - 1) // stride + 1
    y = np.zeros((n, o, oh, ow))
    og = o // groups
    for g in range(groups):
        xs = xp[:, g * cg:(g + 1) * cg]
        ws = w[g * og:(g + 1) * og]
        for i in range(kh):
            for j in range(kw):
                r0, c0 = i * dilation, j * dilation
                patch = xs[:, :, r0:r0 + stride * oh:stride,
                           c0:c0 + stride * ow:stride]
                # y[n, f, p, q] += sum_c x[n, c, p, q] * w[f, c, i, j]
                y[:, g * og:(g + 1) * og] += np.einsum(
                    "ncpq,fc->nfpq", patch, ws[:, :, i, j])
    if b is not None:
        y += b[None, :, None, None]
    return y


def batch_norm(x, gamma, beta, mean, var, eps=1e-5):
    shape = (1, -1, 1, 1)
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * \
        gamma.reshape(shape) + beta.reshape(shape)


def relu(x):
    return np.maximum(x, 0)


def add(a, b):
    return a + b


def _windows(x, kernel, stride, padding, fill):
    n, c, h, w = x.shape
    xp = np.full((n, c, h + 2 * padding, w + 2 * padding), fill)
    xp[:, :, padding:padding + h, padding:padding + w] = x
    oh = (h + 2 * padding - kernel) // stride + 1
    ow = (w + 2 * padding - kernel) // stride + 1
    for i in range(kernel):
        for j in range(kernel):
            yield xp[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]


def max_pool2d(x, kernel, stride=None, padding=0):
    stride = stride or kernel
    return np.max(np.stack(list(_windows(x, kernel, stride, padding,
                                         -np.inf))), axis=0)


def avg_pool2d(x, kernel, stride=None, padding=0):
    """Zero padding counted in the divisor (count_include_pad=True)."""
    stride = stride or kernel
    return np.sum(np.stack(list(_windows(x, kernel, stride, padding, 0.0))),
                  axis=0) / (kernel * kernel)


def global_avg_pool(x):
    return x.mean(axis=(2, 3), keepdims=True)


def flatten(x):
    return x.reshape(x.shape[0], -1)


def linear(x, w, b=None):
    y = x @ w.T
    return y + b if b is not None else y
