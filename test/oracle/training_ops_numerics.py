"""Numeric test of the lowering of every rn training op against PyTorch.

Each case is a small MLIR function with constant inputs: the rn op, lowered
by `resnet-opt --convert-rn-to-linalg`, bufferized and lowered to LLVM by
upstream `mlir-opt`, and run by `mlir-cpu-runner`, which prints the results.
The expected values come from PyTorch (autograd for gradients,
torch.optim.SGD for the update). Error measure: max |ours - torch| /
max(max |torch|, 1e-6); tolerance 1e-4 (fp32).

usage: training_ops_numerics.py RESNET_OPT LLVM_BIN_DIR WORK_DIR
"""

import os
import re
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F

TOLERANCE = 1e-4
LOWER = ("one-shot-bufferize{bufferize-function-boundaries},"
         "convert-linalg-to-loops,convert-scf-to-cf,expand-strided-metadata,"
         "lower-affine,finalize-memref-to-llvm,convert-math-to-llvm,"
         "convert-arith-to-llvm,convert-index-to-llvm,convert-cf-to-llvm,"
         "convert-func-to-llvm,reconcile-unrealized-casts")
rng = np.random.default_rng(0)


def ttype(a):
    dims = "x".join(str(d) for d in a.shape)
    et = "i64" if a.dtype == np.int64 else "f32"
    return f"tensor<{dims}x{et}>" if dims else f"tensor<{et}>"


def const(name, a):
    if a.dtype == np.int64:
        body = ", ".join(str(int(v)) for v in a.ravel())
    else:
        body = ", ".join(f"{float(v):.9e}" for v in a.ravel())
    shape = "x".join(str(d) for d in a.shape)
    if a.ndim == 0:
        body = f"{float(a):.9e}"
        return f"  %{name} = arith.constant dense<{body}> : {ttype(a)}\n"
    nested = np.array2string(a, separator=", ", threshold=10**9,
                             formatter={"all": lambda v: repr(float(v)) if
                                        a.dtype != np.int64 else str(int(v))},
                             max_line_width=10**9)
    return f"  %{name} = arith.constant dense<{nested}> : {ttype(a)}\n"


def program(inputs, op_text, results):
    """inputs: {name: array}; op_text: the rn op(s) defining results;
    results: [(name, type string, 'f32'|'i64')]."""
    text = "func.func @main() {\n"
    for name, a in inputs.items():
        text += const(name, a)
    text += op_text
    for i, (name, type, et) in enumerate(results):
        shape = type[len("tensor<"):-1]
        mem = f"memref<{shape}>"
        text += f"  %m{i} = bufferization.to_memref %{name} : {mem}\n"
        text += f"  %u{i} = memref.cast %m{i} : {mem} to memref<*x{et}>\n"
        fn = "printMemrefF32" if et == "f32" else "printMemrefI64"
        text += f"  call @{fn}(%u{i}) : (memref<*x{et}>) -> ()\n"
    text += "  return\n}\n"
    text += ("func.func private @printMemrefF32(memref<*xf32>) "
             "attributes {llvm.emit_c_interface}\n"
             "func.func private @printMemrefI64(memref<*xi64>) "
             "attributes {llvm.emit_c_interface}\n")
    return text


def run(resnet_opt, llvm_bin, work, name, text):
    src = os.path.join(work, name + ".mlir")
    open(src, "w").write(text)
    lowered = subprocess.run([resnet_opt, src, "--convert-rn-to-linalg"],
                             check=True, capture_output=True, text=True).stdout
    llvm = subprocess.run([os.path.join(llvm_bin, "mlir-opt"),
                           f"--pass-pipeline=builtin.module({LOWER})"],
                          input=lowered, check=True, capture_output=True,
                          text=True).stdout
    libs = ",".join(os.path.join(os.path.dirname(llvm_bin), "lib", l)
                    for l in ("libmlir_runner_utils.so",
                              "libmlir_c_runner_utils.so"))
    out = subprocess.run([os.path.join(llvm_bin, "mlir-cpu-runner"), "-e",
                          "main", "-entry-point-result=void",
                          f"-shared-libs={libs}"], input=llvm, check=True,
                         capture_output=True, text=True).stdout
    values = []
    for block in out.split("Unranked Memref")[1:]:
        data = block.split("data =", 1)[1]
        values.append(np.array([float(v) for v in re.findall(
            r"-?(?:nan|inf|\d+\.?\d*(?:e[-+]?\d+)?)", data)]))
    return values


def err(ours, theirs):
    theirs = np.asarray(theirs, dtype=np.float64).ravel()
    if ours.shape != theirs.shape:
        return float("inf")
    return float(np.abs(ours - theirs).max() /
                 max(np.abs(theirs).max(), 1e-6))


def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def t(a, grad=False):
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def cases():
    # ReLU backward.
    dy, y = f32(2, 3, 4), f32(2, 3, 4)
    yield ("relu_backward", {"dy": dy, "y": y},
           f"  %r = rn.relu_backward %dy, %y : {ttype(dy)}\n",
           [("r", ttype(dy), "f32")], [np.where(y > 0, dy, 0)])
    # Per-channel sums (bias gradients).
    x = f32(2, 3, 4, 4)
    yield ("reduce_to_channels", {"x": x},
           f"  %r = rn.reduce_to_channels %x : {ttype(x)} -> tensor<3xf32>\n",
           [("r", "tensor<3xf32>", "f32")], [x.sum(axis=(0, 2, 3))])
    # Global average pooling backward.
    g = f32(2, 3, 1, 1)
    xt = t(f32(2, 3, 4, 4), True)
    F.adaptive_avg_pool2d(xt, 1).backward(t(g))
    yield ("global_avg_pool_backward", {"g": g},
           f"  %r = rn.global_avg_pool_backward %g input_shape [2, 3, 4, 4] "
           f": {ttype(g)} -> tensor<2x3x4x4xf32>\n",
           [("r", "tensor<2x3x4x4xf32>", "f32")], [xt.grad])
    # Linear backward.
    dy, x, w = f32(2, 3), f32(2, 4), f32(3, 4)
    xt, wt = t(x, True), t(w, True)
    F.linear(xt, wt).backward(t(dy))
    yield ("linear_backward", {"dy": dy, "x": x, "w": w},
           f"  %dx, %dw = rn.linear_backward %dy, %x, %w : ({ttype(dy)}, "
           f"{ttype(x)}, {ttype(w)}) -> ({ttype(x)}, {ttype(w)})\n",
           [("dx", ttype(x), "f32"), ("dw", ttype(w), "f32")],
           [xt.grad, wt.grad])
    # Loss, correct count and its gradient (with a tie for the argmax).
    logits = f32(4, 5)
    logits[2, 1] = logits[2, 3] = logits[2].max() + 1
    labels = np.array([0, 4, 1, 2], dtype=np.int64)
    lt = t(logits, True)
    loss = F.cross_entropy(lt, torch.tensor(labels))
    loss.backward()
    correct = int((torch.tensor(logits).argmax(1) ==
                   torch.tensor(labels)).sum())
    yield ("softmax_cross_entropy", {"l": logits, "y": labels},
           f"  %loss, %correct = rn.softmax_cross_entropy %l, %y : "
           f"({ttype(logits)}, {ttype(labels)}) -> (tensor<f32>, tensor<i64>)\n"
           f"  %dl = rn.softmax_cross_entropy_backward %l, %y : "
           f"({ttype(logits)}, {ttype(labels)}) -> {ttype(logits)}\n",
           [("loss", "tensor<f32>", "f32"), ("correct", "tensor<i64>", "i64"),
            ("dl", ttype(logits), "f32")],
           [[float(loss)], [correct], lt.grad])
    # Two SGD steps against torch.optim.SGD.
    for nesterov in (False, True):
        p0, g1, g2 = f32(3, 4), f32(3, 4), f32(3, 4)
        pt = torch.nn.Parameter(t(p0))
        opt = torch.optim.SGD([pt], lr=0.1, momentum=0.9, weight_decay=0.01,
                              nesterov=nesterov)
        for g in (g1, g2):
            pt.grad = t(g)
            opt.step()
        flag = " nesterov" if nesterov else ""
        ty = ttype(p0)
        yield (f"sgd_update{'_nesterov' if nesterov else ''}",
               {"p": p0, "g1": g1, "g2": g2, "v": np.zeros_like(p0),
                "lr": np.array(0.1, dtype=np.float32)},
               f"  %p1, %v1 = rn.sgd_update %p, %g1, %lr velocity %v "
               f"momentum 0.9 weight_decay 0.01{flag} : ({ty}, {ty}, "
               f"tensor<f32>, {ty}) -> ({ty}, {ty})\n"
               f"  %p2, %v2 = rn.sgd_update %p1, %g2, %lr velocity %v1 "
               f"momentum 0.9 weight_decay 0.01{flag} : ({ty}, {ty}, "
               f"tensor<f32>, {ty}) -> ({ty}, {ty})\n",
               [("p2", ty, "f32")], [pt.detach()])
    # Batch norm in training mode, forward and backward.
    x, gam, bet = f32(4, 3, 5, 5), f32(3), f32(3)
    rm, rv = f32(3), np.abs(f32(3)) + 0.5
    dy = f32(4, 3, 5, 5)
    xt, gt, bt = t(x, True), t(gam, True), t(bet, True)
    rmt, rvt = t(rm), t(rv)
    y = F.batch_norm(xt, rmt, rvt, gt, bt, training=True, momentum=0.1,
                     eps=1e-5)
    y.backward(t(dy))
    mean = x.astype(np.float64).mean(axis=(0, 2, 3))
    invstd = 1 / np.sqrt(x.astype(np.float64).var(axis=(0, 2, 3)) + 1e-5)
    v = "tensor<3xf32>"
    yield ("batch_norm_train", {"x": x, "g": gam, "b": bet, "m": rm, "v": rv,
                                "dy": dy},
           f"  %y, %mean, %inv, %nm, %nv = rn.batch_norm_train %x, %g, %b, "
           f"%m, %v epsilon 1.0e-05 momentum 1.0e-01 : ({ttype(x)}, {v}, {v}, "
           f"{v}, {v}) -> ({ttype(x)}, {v}, {v}, {v}, {v})\n"
           f"  %dx, %dg, %db = rn.batch_norm_train_backward %dy, %x, %g, "
           f"%mean, %inv : ({ttype(x)}, {ttype(x)}, {v}, {v}, {v}) -> "
           f"({ttype(x)}, {v}, {v})\n",
           [("y", ttype(x), "f32"), ("mean", v, "f32"), ("inv", v, "f32"),
            ("nm", v, "f32"), ("nv", v, "f32"), ("dx", ttype(x), "f32"),
            ("dg", v, "f32"), ("db", v, "f32")],
           [y.detach(), mean, invstd, rmt, rvt, xt.grad, gt.grad, bt.grad])
    # The fused forms of rn-fuse-training: relu(bn(x) + r), and the
    # backward reading dy through the ReLU's mask; gradients of x, the
    # scale and bias through relu(bn(x) + r).
    x, gam, bet, r = f32(4, 3, 5, 5), f32(3), f32(3), f32(4, 3, 5, 5)
    xt, gt, bt = t(x, True), t(gam, True), t(bet, True)
    o = F.relu(F.batch_norm(xt, t(rm), t(rv), gt, bt, training=True,
                            momentum=0.1, eps=1e-5) + t(r))
    o.backward(t(dy))
    yield ("batch_norm_train_fused",
           {"x": x, "g": gam, "b": bet, "m": rm, "v": rv, "r": r, "dy": dy},
           f"  %y, %mean, %inv, %nm, %nv = rn.batch_norm_train %x, %g, %b, "
           f"%m, %v residual %r epsilon 1.0e-05 momentum 1.0e-01 relu : "
           f"({ttype(x)}, {v}, {v}, {v}, {v}, {ttype(x)}) -> ({ttype(x)}, "
           f"{v}, {v}, {v}, {v})\n"
           f"  %dx, %dg, %db = rn.batch_norm_train_backward %dy, %x, %g, "
           f"%mean, %inv relu_output %y : ({ttype(x)}, {ttype(x)}, {v}, {v}, "
           f"{v}, {ttype(x)}) -> ({ttype(x)}, {v}, {v})\n",
           [("y", ttype(x), "f32"), ("dx", ttype(x), "f32"),
            ("dg", v, "f32"), ("db", v, "f32")],
           [o.detach(), xt.grad, gt.grad, bt.grad])
    # relu_backward with an addend (an identity shortcut's gradient joined
    # with the main path's): g + relu'(y) * dy.
    y, g = f32(4, 3, 5, 5), f32(4, 3, 5, 5)
    yt = t(y, True)
    F.relu(yt).backward(t(dy))
    tx = ttype(y)
    yield ("relu_backward_add", {"dy": dy, "y": y, "g": g},
           f"  %dx = rn.relu_backward %dy, %y add %g : {tx}\n",
           [("dx", tx, "f32")], [yt.grad + t(g)])
    # Convolution gradients: strides, padding, dilation, groups.
    for (c, f, k, s, p, d, g, h) in [(3, 4, 3, 1, 1, 1, 1, 6),
                                      (4, 6, 3, 2, 1, 1, 2, 7),
                                      (4, 4, 3, 1, 2, 2, 4, 6),
                                      (3, 5, 1, 2, 0, 1, 1, 5),
                                      (2, 4, 7, 2, 3, 1, 1, 9)]:
        x, w = f32(2, c, h, h), f32(f, c // g, k, k)
        xt, wt = t(x, True), t(w, True)
        y = F.conv2d(xt, wt, None, s, p, d, g)
        dy = f32(*y.shape)
        y.backward(t(dy))
        attrs = (f"stride [{s}, {s}] padding [{p}, {p}] dilation [{d}, {d}] "
                 f"groups {g}")
        yield (f"conv_backward_c{c}f{f}k{k}s{s}p{p}d{d}g{g}",
               {"dy": dy, "x": x, "w": w},
               f"  %dx = rn.conv2d_backward_data %dy, %w {attrs} input_shape "
               f"[2, {c}, {h}, {h}] : ({ttype(dy)}, {ttype(w)}) -> "
               f"{ttype(x)}\n"
               f"  %dw = rn.conv2d_backward_filter %dy, %x {attrs} "
               f"weight_shape [{f}, {c // g}, {k}, {k}] : ({ttype(dy)}, "
               f"{ttype(x)}) -> {ttype(w)}\n",
               [("dx", ttype(x), "f32"), ("dw", ttype(w), "f32")],
               [xt.grad, wt.grad])
    # Pooling gradients, with ties for max pooling (first maximum wins).
    x = rng.integers(0, 3, (2, 2, 7, 7)).astype(np.float32)
    xt = t(x, True)
    y = F.max_pool2d(xt, 3, 2, 1)
    dy = f32(*y.shape)
    y.backward(t(dy))
    yield ("max_pool2d_backward", {"dy": dy, "x": x},
           f"  %dx = rn.max_pool2d_backward %dy, %x kernel [3, 3] stride "
           f"[2, 2] padding [1, 1] : ({ttype(dy)}, {ttype(x)}) -> "
           f"{ttype(x)}\n", [("dx", ttype(x), "f32")], [xt.grad])
    x = f32(2, 2, 7, 7)
    xt = t(x, True)
    y = F.avg_pool2d(xt, 3, 2, 1)
    dy = f32(*y.shape)
    y.backward(t(dy))
    yield ("avg_pool2d_backward", {"dy": dy},
           f"  %dx = rn.avg_pool2d_backward %dy kernel [3, 3] stride [2, 2] "
           f"padding [1, 1] input_shape [2, 2, 7, 7] : {ttype(dy)} -> "
           f"{ttype(x)}\n", [("dx", ttype(x), "f32")], [xt.grad])


def main(argv):
    resnet_opt, llvm_bin, work = argv[1:4]
    os.makedirs(work, exist_ok=True)
    failed = 0
    for name, inputs, ops, results, expected in cases():
        got = run(resnet_opt, llvm_bin, work, name,
                  program(inputs, ops, results))
        worst = max(err(g, np.asarray(e.detach() if torch.is_tensor(e)
                                      else e)) for g, e in zip(got, expected))
        ok = len(got) == len(expected) and worst <= TOLERANCE
        failed += not ok
        print(f"{name}: max relative error {worst:.2e} "
              f"{'OK' if ok else 'FAIL'}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
