#!/usr/bin/env bash
# The main job: install what is missing, build, and compile the d2l
# ResNet-18 (Fashion-MNIST, 96x96): its summary, then its rn IR.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
build/bin/resnetc models/d2l_resnet18.rn --summary
build/bin/resnetc models/d2l_resnet18.rn --emit=rn
