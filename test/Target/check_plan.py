"""Checks an execution plan for consistency, independently of the runtime.

Reads the JSON of `resnetc --emit=plan` or a CUDA artifact (a PTX module
whose leading comment lines carry the plan).

- every step argument names a buffer; the input and output exist;
- every buffer lies inside the arena, 64-byte aligned, with bytes matching
  its shape and dtype (F32, I64 for labels and correct counts, U8 for
  scratch);
- persistent buffers (input, params, state, derived, and training's labels,
  lr, velocities, loss and correct count) never overlap anything;
- two temporaries that are alive at the same step never overlap, where an
  activation is alive from the step that writes it to its last use (the
  output to the end of the entry) and a scratch buffer during its one step;
- every kernel reads only buffers written before (or persistent ones);
- layouts: the plan's is nchw or nhwc; only rank-4 buffers may be nhwc,
  and never the ones the runtime reads or writes (input, params, state,
  velocities); an nhwc plan stores its rank-4 activations nhwc.
For CUDA plans, every step is a cuDNN call (with buffers of the right
number and rank, its tensors in one layout) or launches, and every launch
as well:
- it names an `.entry` of the PTX whose parameters match its arguments in
  number and type (buffers and i64 are .u64, i32 .u32, f32 .f32, f64 .f64);
- its grid is within CUDA's limits and its block has 32 to 1024 threads;
- its buffer arguments are the step's buffers or scratch buffers of that
  step, and it accesses at most the buffer's bytes;
- every buffer a step writes is passed to one of its launches.
Prints 'plan OK: N buffers, M steps, L launches, arena A bytes' or the
first problem.
"""

import json
import re
import sys

PLAN_BEGIN = "// resnetc-plan-begin"
PLAN_END = "// resnetc-plan-end"
PARAM_TYPE = {"buffer": "u64", "i64": "u64", "i32": "u32", "f32": "f32",
              "f64": "f64"}


def overlap(a, b):
    return a["offset"] < b["offset"] + b["bytes"] and \
        b["offset"] < a["offset"] + a["bytes"]


def read(path):
    """The plan, and the PTX entries' parameter types (None for JSON)."""
    text = open(path).read()
    if not text.startswith(PLAN_BEGIN):
        return json.loads(text), None
    lines = text.split("\n")
    end = lines.index(PLAN_END)
    plan = json.loads("".join(line[3:] for line in lines[1:end]))
    entries = {}
    for m in re.finditer(r"\.entry\s+(\w+)\s*\(([^)]*)\)", text):
        entries[m.group(1)] = re.findall(r"\.param\s+(?:\.ptr\s+)?\.(\w+)",
                                         m.group(2))
    return plan, entries


def check_launches(plan, entries, s, step):
    buffers = plan["buffers"]
    used = set()
    for launch in step["launches"]:
        name = launch["kernel"]
        assert name in entries, f"step {s}: {name} is not a PTX .entry"
        kinds = [next(iter(a)) for a in launch["args"]]
        expected = [PARAM_TYPE[k] for k in kinds]
        assert entries[name] == expected, \
            f"step {s}: {name} takes {entries[name]}, the plan passes {expected}"
        gx, gy, gz = launch["grid"]
        threads = launch["block"][0] * launch["block"][1] * launch["block"][2]
        assert 1 <= gx < 2**31 and 1 <= gy <= 65535 and 1 <= gz <= 65535, \
            f"step {s}: {name}: grid {launch['grid']}"
        assert 32 <= threads <= 1024, \
            f"step {s}: {name} launches {threads} threads per block"
        for a in launch["args"]:
            if "buffer" not in a:
                continue
            b = a["buffer"]
            assert 0 <= b < len(buffers), f"step {s}: {name}: bad buffer {b}"
            assert b in step["args"] or buffers[b]["role"] == "scratch", \
                f"step {s}: {name} uses buffer {b}, not one of its step"
            assert a["bytes"] <= buffers[b]["bytes"], \
                f"step {s}: {name} accesses {a['bytes']} bytes of buffer {b}"
            used.add(b)
    return used


def check_library(plan, s, step):
    """A cuDNN call (CUDA) or oneDNN call (CPU): no launches, its buffers in
    number and rank, its tensors in one layout (a oneDNN call's filter may
    keep its own: oneDNN reorders it) and data type."""
    call = step["library"]
    lib = "cudnn" if plan["target"] == "cuda" else "onednn"
    assert "launches" not in step, f"step {s}: a library call with launches"
    assert not step.get("per_image"), f"step {s}: a per-image library call"
    forward = call["name"] == lib + ".conv2d_forward"
    assert forward or call["name"] in (lib + ".conv2d_backward_data",
                                       lib + ".conv2d_backward_filter"), \
        f"step {s}: unknown library call {call['name']}"
    assert forward or not (call["bias"] or call["residual"] or call["relu"])
    ranks = [4, 4] + [1] * call["bias"] + [4] * call["residual"] + [4]
    got = [len(plan["buffers"][a]["shape"]) for a in step["args"]]
    assert got == ranks, f"step {s}: {call['name']} on ranks {got}"
    # oneDNN reorders filters itself: the filter (argument 1 of a forward
    # or backward-data call, the output 2 of a backward-filter call) may be
    # stored in its own layout.
    backward_filter = call["name"].endswith("filter")
    own_filter = ((2 if backward_filter else 1) if lib == "onednn"
                  else None)
    layouts = {plan["buffers"][a].get("layout", "nchw")
               for i, a in enumerate(step["args"])
               if len(plan["buffers"][a]["shape"]) == 4
               and i != own_filter}
    assert len(layouts) == 1, \
        f"step {s}: {call['name']} mixes layouts {sorted(layouts)}"
    dtypes = {plan["buffers"][a]["dtype"] for a in step["args"]}
    assert len(dtypes) == 1, \
        f"step {s}: {call['name']} mixes data types {sorted(dtypes)}"
    # How cuDNN computes is stated, and follows the plan's precision: strict
    # fp32 (FMA) math for fp32, tensor cores for tf32 and bf16; fp32
    # accumulation; PyTorch's cross-correlation.
    math = "fma" if plan["precision"] == "fp32" else "tensor_op"
    assert call.get("math_type") == math, \
        f"step {s}: math_type {call.get('math_type')} in a " \
        f"{plan['precision']} plan"
    assert call.get("compute_type") == "float", f"step {s}: compute_type"
    assert call.get("mode") == "cross_correlation", f"step {s}: mode"


def main(path):
    plan, entries = read(path)
    cuda = plan["target"] == "cuda"
    assert cuda == (entries is not None), "CUDA plans come inside PTX"
    buffers, arena = plan["buffers"], plan["arena_bytes"]
    for i, b in enumerate(buffers):
        n = {"I64": 8, "U8": 1, "BF16": 2}.get(b["dtype"], 4)
        for d in b["shape"]:
            n *= d
        assert b["bytes"] == n, f"buffer {i} size"
        assert b["offset"] % 64 == 0, f"buffer {i} alignment"
        assert 0 <= b["offset"] and b["offset"] + b["bytes"] <= arena, \
            f"buffer {i} outside the arena"
        assert (b["role"] == "scratch") == (b["dtype"] == "U8"), \
            f"buffer {i}: scratch buffers and only they are U8"
        layout = b.get("layout", "nchw")
        assert layout in ("nchw", "nhwc"), f"buffer {i}: layout {layout}"
        if layout == "nhwc":
            assert len(b["shape"]) == 4, f"buffer {i}: nhwc of rank != 4"
            assert b["role"] not in ("input", "param", "state", "optimizer_state"), \
                f"buffer {i}: a buffer of role {b['role']} must be nchw"
        # The CPU keeps its filter temporaries (weight gradients, cropped
        # filters) OIHW, as the parameters, whatever the images' layout.
        if b["role"] == "activation" and len(b["shape"]) == 4:
            assert layout == plan["layout"] or (
                plan["target"] == "cpu" and layout == "nchw"), \
                f"buffer {i}: {layout} activation in a {plan['layout']} plan"
    persistent = [i for i, b in enumerate(buffers)
                  if b["role"] in ("input", "param", "state", "derived",
                                   "labels", "hyper", "optimizer_state", "loss",
                                   "correct")]
    for i in persistent:
        for j in range(len(buffers)):
            assert i == j or not overlap(buffers[i], buffers[j]), \
                f"persistent buffer {i} overlaps buffer {j}"
    steps = launches = 0
    scratch_step = {}
    for entry in plan["entries"]:
        written, first, last = set(persistent), {}, {}
        for s, step in enumerate(entry["steps"]):
            steps += 1
            for a in step["args"]:
                assert 0 <= a < len(buffers), f"step {s}: bad buffer {a}"
            role = [buffers[a]["role"] for a in step["args"]]
            outs = [a for a in step["args"] if a not in written]
            # Destination style: the results are the trailing arguments,
            # new buffers or buffers updated in place (which the step also
            # reads, earlier in its arguments); an unwritten buffer before
            # them is read too early.
            args = step["args"]
            first_out = next((i for i, a in enumerate(args) if a in outs),
                             len(args))
            for i in range(first_out, len(args)):
                assert args[i] in outs or args[i] in args[:first_out], \
                    f"step {s} reads buffer {args[i]} before it is written"
            for a in step["args"]:
                if a in written:
                    last[a] = s
            for a in outs:
                assert role[step["args"].index(a)] in (
                    "activation", "output", "derived"), \
                    f"step {s} reads buffer {a} before it is written"
                first[a] = s
                last[a] = s
                written.add(a)
            # A step of rows computes row n of every tensor argument.
            if step.get("rows"):
                assert not cuda and not step.get("per_image") and \
                    "library" not in step, f"step {s}: rows on a {plan['target']} " \
                    "library or per-image step"
                for a in step["args"]:
                    shape = buffers[a]["shape"]
                    assert not shape or shape[0] == step["rows"], \
                        f"step {s}: {step['rows']} rows but buffer {a} is " \
                        f"{shape}"
            if "library" in step:
                check_library(plan, s, step)
                continue
            if not cuda:
                assert "launches" not in step, f"step {s}: CPU launches"
                continue
            assert step["launches"], f"step {s} launches nothing"
            launches += len(step["launches"])
            used = check_launches(plan, entries, s, step)
            for a in outs:
                assert a in used, f"step {s} never writes buffer {a}"
            for b in used:
                if buffers[b]["role"] == "scratch":
                    assert scratch_step.setdefault(b, (entry["name"], s)) == \
                        (entry["name"], s), f"scratch {b} used by two steps"
                    first[b] = last[b] = s
        out = plan["output"]
        if out in first:
            last[out] = len(entry["steps"])
        live = [a for a in first if buffers[a]["role"] in
                ("activation", "output", "scratch")]
        for x in live:
            for y in live:
                if x < y and first[x] <= last[y] and first[y] <= last[x]:
                    assert not overlap(buffers[x], buffers[y]), \
                        f"buffers {x} and {y} are alive together and overlap"
    print(f"plan OK: {len(buffers)} buffers, {steps} steps, {launches} "
          f"launches, arena {arena} bytes, peak activations "
          f"{plan['peak_activation_bytes']} bytes")


if __name__ == "__main__":
    main(sys.argv[1])
