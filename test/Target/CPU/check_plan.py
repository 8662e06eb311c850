"""Checks an execution plan (resnetc --emit=plan) for consistency.

- every step argument names a buffer; the input and output exist;
- every buffer lies inside the arena, 64-byte aligned, with bytes matching
  its shape and dtype (F32, or I64 for labels and correct counts);
- persistent buffers (input, params, state, derived, and training's labels,
  lr, velocities, loss and correct count) never overlap anything;
- two activations that are alive at the same step never overlap, where an
  activation is alive from the step that writes it to its last use (the
  output to the end of the entry);
- every kernel reads only buffers written before (or persistent ones).
Prints 'plan OK: N buffers, M steps, arena A bytes' or the first problem.
"""

import json
import sys


def overlap(a, b):
    return a["offset"] < b["offset"] + b["bytes"] and \
        b["offset"] < a["offset"] + a["bytes"]


def main(path):
    plan = json.load(open(path))
    buffers, arena = plan["buffers"], plan["arena_bytes"]
    for i, b in enumerate(buffers):
        n = 8 if b["dtype"] == "I64" else 4
        for d in b["shape"]:
            n *= d
        assert b["bytes"] == n, f"buffer {i} size"
        assert b["offset"] % 64 == 0, f"buffer {i} alignment"
        assert 0 <= b["offset"] and b["offset"] + b["bytes"] <= arena, \
            f"buffer {i} outside the arena"
    persistent = [i for i, b in enumerate(buffers)
                  if b["role"] in ("input", "param", "state", "derived",
                                   "labels", "hyper", "velocity", "loss",
                                   "correct")]
    for i in persistent:
        for j in range(len(buffers)):
            assert i == j or not overlap(buffers[i], buffers[j]), \
                f"persistent buffer {i} overlaps buffer {j}"
    steps = 0
    for entry in plan["entries"]:
        written, first, last = set(persistent), {}, {}
        for s, step in enumerate(entry["steps"]):
            steps += 1
            for a in step["args"]:
                assert 0 <= a < len(buffers), f"step {s}: bad buffer {a}"
            # Destination style: the trailing args are written.
            role = [buffers[a]["role"] for a in step["args"]]
            outs = [a for a in step["args"] if a not in written]
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
        out = plan["output"]
        if out in first:
            last[out] = len(entry["steps"])
        live = [a for a in first if buffers[a]["role"] in
                ("activation", "output")]
        for x in live:
            for y in live:
                if x < y and first[x] <= last[y] and first[y] <= last[x]:
                    assert not overlap(buffers[x], buffers[y]), \
                        f"buffers {x} and {y} are alive together and overlap"
    print(f"plan OK: {len(buffers)} buffers, {steps} steps, arena {arena} "
          f"bytes, peak activations {plan['peak_activation_bytes']} bytes")


if __name__ == "__main__":
    main(sys.argv[1])
