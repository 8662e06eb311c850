#!/usr/bin/env python3
"""Checks that docs/architecture.md stays true of the source tree.

usage: check_architecture.py ARCHITECTURE.md SOURCE_ROOT RESNET_OPT_HELP

- Every pass or pipeline named in backticks (`rn-build-plan`,
  `rn-select-library-calls{library=onednn}`, `gpu-kernel-outlining`) is one
  that resnet-opt registers: RESNET_OPT_HELP is the output of
  `resnet-opt --help`, which lists them.
- Every folder one level under lib/, include/resnetc/, tools/ and test/ is
  mentioned by its path (`lib/Target`, `include/resnetc/CUDA`, ...).

Prints one line per problem and exits with 1 if there is any.
"""

import os
import re
import sys

# Words in backticks that look like pass names but name something else.
NOT_PASSES = {"resnet-opt", "resnet-run", "x86-64-v3", "x86-64-v4"}

# A pass name, possibly with its options in braces.
PASS = re.compile(r"([a-z][a-z0-9]*(?:-[a-z0-9]+)+)(\{[^{}]*\})?")

FOLDER_ROOTS = ["lib", "include/resnetc", "tools", "test"]


def registered_passes(help_text):
    """The passes and pipelines of `resnet-opt --help`: in its section
    "Compiler passes to run", each is `--NAME` indented by six spaces (their
    options by eight)."""
    section = help_text.split("Compiler passes to run", 1)[-1]
    section = re.split(r"^  --", section, maxsplit=1, flags=re.M)[0]
    return set(re.findall(r"^ {6}--([a-z0-9][a-z0-9-]*)", section, re.M))


def named_passes(markdown):
    """The pass-like names in inline code spans (fenced blocks left out)."""
    text = re.sub(r"^```.*?^```", "", markdown, flags=re.M | re.S)
    names = []
    for span in re.findall(r"`([^`]+)`", text):
        m = PASS.fullmatch(span.strip())
        if m and m.group(1) not in NOT_PASSES:
            names.append(m.group(1))
    return names


def main():
    doc_path, root, help_path = sys.argv[1:4]
    with open(doc_path, encoding="utf-8") as f:
        doc = f.read()
    with open(help_path, encoding="utf-8") as f:
        registered = registered_passes(f.read())
    problems = []
    for name in sorted(set(named_passes(doc))):
        if name not in registered:
            problems.append(f"`{name}` is not a pass or pipeline that "
                            "resnet-opt registers")
    for parent in FOLDER_ROOTS:
        for entry in sorted(os.listdir(os.path.join(root, parent))):
            if entry.startswith(".") or not os.path.isdir(
                    os.path.join(root, parent, entry)):
                continue
            path = f"{parent}/{entry}"
            if not re.search(re.escape(path) + r"(?![\w.-])", doc):
                problems.append(f"folder {path} is not mentioned")
    for p in problems:
        print(f"{doc_path}: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
