#!/usr/bin/env bash
# Compiles, on a machine with resnetc (and MLIR), everything test/gpu/run.sh
# runs on a GPU machine that has CUDA but no MLIR: the numerics oracle's
# artifacts (every block kind, fp32 with cuDNN and with generated
# convolutions, tf32, bf16; CPU artifacts to compare with), the d2l
# ResNet-18 training artifact, the benchmark artifacts, and a copy of
# Fashion-MNIST, and nlohmann-json's headers (the runtime's one build
# dependency that a GPU machine may lack). Writes test/gpu/artifacts/ (ignored by git; carry it): the
# compiled files in one compressed bundle.tar.xz, and the dataset.
#
# usage: test/gpu/prepare.sh [BUILD_DIR]     (default build)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
# Debian's python3 has NumPy and PyTorch (the oracle's imports).
python=${PYTHON:-/usr/bin/python3}
resnetc=$build/bin/resnetc
out=test/gpu/artifacts
rm -rf "$out"
mkdir -p "$out/numerics" "$out/bench" "$out/fashion-mnist"

# 1. Numerics: train_step.py's models and batch, compiled only.
oracle() { # DIR FLAGS...
  local dir=$1
  shift
  "$python" test/oracle/train_step.py "$resnetc" none scripts "$out/numerics/$dir" \
    --target cuda --compile-only "$@" > /dev/null
}
oracle fp32-cudnn --compare-cpu
oracle fp32-generated --resnetc-flags=--conv=generated --compare-cpu
# Reduced precisions on the well-conditioned models (d2l's ResNet-18 at
# 12x12 is chaotic even in fp32; see train_step.py).
small=basic_bias_projection,bottleneck,grouped,preact
oracle tf32 --precision tf32 --models $small
oracle bf16 --precision bf16 --models $small

# 2. d2l's ResNet-18 on Fashion-MNIST at 96x96: batch 256, plain SGD.
"$resnetc" models/d2l_resnet18.rn --batch 256 --mode=train -o "$out/d2l_resnet18.train.ptx"

# 3. The benchmarks (bench/gpu.py): d2l ResNet-18 training, ResNet-50
# inference and training, in each precision.
for p in fp32 tf32 bf16; do
  "$resnetc" models/d2l_resnet18.rn --batch 256 --mode=train --precision $p \
    -o "$out/bench/d2l_resnet18.train.$p.ptx"
  "$resnetc" models/resnet50.rn --batch 256 --precision $p \
    -o "$out/bench/resnet50.infer.$p.ptx"
  "$resnetc" models/resnet50.rn --batch 128 --mode=train --momentum=0.9 \
    --weight-decay=0.0001 --precision $p -o "$out/bench/resnet50.train.$p.ptx"
done

# 4. The data.
cp /usr/share/datasets/fashion-mnist/*.gz "$out/fashion-mnist/"

# 5. nlohmann-json's headers (header-only), as the build found them; run.sh
# points the runtime's build at them.
json_dir=$(sed -n 's/^RESNETC_NLOHMANN_JSON_INCLUDE_DIR:[A-Z]*=//p' "$build/CMakeCache.txt")
[ -f "${json_dir:-/usr/include}/nlohmann/json.hpp" ] || {
  echo "prepare.sh: nlohmann/json.hpp not found (install nlohmann-json3-dev)" >&2
  exit 1
}
mkdir -p "$out/include"
cp -r "${json_dir:-/usr/include}/nlohmann" "$out/include/"

# PTX compresses well: what travels stays small.
tar -C "$out" -cJf "$out/bundle.tar.xz" numerics bench d2l_resnet18.train.ptx include
rm -rf "$out/numerics" "$out/bench" "$out/d2l_resnet18.train.ptx" "$out/include"
du -sh "$out"
