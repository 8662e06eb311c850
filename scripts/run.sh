#!/usr/bin/env bash
# The main job: install what is missing, build, and compile the d2l
# ResNet-18 (Fashion-MNIST, 96x96): its summary, its rn IR, then its CUDA
# artifact, run on eight test images on the simulated GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
build/bin/resnetc models/d2l_resnet18.rn --summary
build/bin/resnetc models/d2l_resnet18.rn --emit=rn
build/bin/resnetc models/d2l_resnet18.rn --batch 8 -o build/d2l_resnet18.ptx
build/bin/resnet-run build/d2l_resnet18.ptx --device=cuda-sim \
  --data fashion-mnist:test --limit 8
