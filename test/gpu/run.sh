#!/usr/bin/env bash
# The GPU check, in one command that finishes in under 9 minutes on a GPU
# machine with CUDA, cuDNN and PyTorch but no MLIR, given the artifacts
# test/gpu/prepare.sh compiled elsewhere (test/gpu/artifacts/):
#   1. builds the runtime without MLIR (-DRESNETC_RUNTIME_ONLY=ON);
#   2. runs the numerics oracle on the GPU: every block kind, fp32 with
#      cuDNN and with generated convolutions (and against the CPU target),
#      tf32 and bf16, against PyTorch;
#   3. compute-sanitizer memcheck on one training step;
#   4. bench/gpu.py: resnetc against PyTorch eager and torch.compile on the
#      same GPU (d2l ResNet-18 training, ResNet-50 inference and training;
#      images/s and peak memory);
#   5. d2l's ResNet-18 on Fashion-MNIST at 96x96 for as long as the time
#      allows (epoch lines, test accuracy).
# Everything is logged to $OUT/run.log (default gpu-out/), the benchmark's
# figures to $OUT/bench.json and the d2l run's to $OUT/d2l-metrics.csv; the
# last line of run.log says how each stage ended.
#
# usage: test/gpu/run.sh          DEVICE=cuda-sim runs stages 1-3 on the
#                                 simulated GPU instead (a dry run).
set -u
cd "$(dirname "$0")/../.."
OUT=${OUT:-$PWD/gpu-out}
DEVICE=${DEVICE:-cuda}
A=test/gpu/artifacts
mkdir -p "$OUT"
start=$(date +%s)
log() { echo "[$(( $(date +%s) - start ))s] $*" | tee -a "$OUT/run.log"; }
# Runs a command with its output appended to run.log (and shown); returns
# its status.
capture() {
  "$@" 2>&1 | tee -a "$OUT/run.log"
  return "${PIPESTATUS[0]}"
}
declare -A result
stage() { # NAME STATUS
  result[$1]=$2
  log "$1: $2"
}
left() { echo $(( 530 - ($(date +%s) - start) )); }

[ -d "$A" ] || { log "no $A: run test/gpu/prepare.sh first and carry it"; exit 1; }
if [ -f "$A/bundle.tar.xz" ]; then
  tar -C "$A" -xJf "$A/bundle.tar.xz" && rm "$A/bundle.tar.xz"
fi

# 1. The runtime, without MLIR; nlohmann-json's headers come with the
# artifacts.
jobs=$(nproc)
json=()
if [ -f "$A/include/nlohmann/json.hpp" ]; then
  json=(-DRESNETC_NLOHMANN_JSON_INCLUDE_DIR="$PWD/$A/include")
fi
if cmake -G Ninja -S . -B build-gpu -DRESNETC_RUNTIME_ONLY=ON "${json[@]}" \
     -DRESNETC_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=Release > /tmp/resnetc-build.log 2>&1 &&
   ninja -C build-gpu -j "$jobs" resnet-run resnetc-cudasim >> /tmp/resnetc-build.log 2>&1; then
  stage build OK
else
  stage build FAILED
  capture tail -30 /tmp/resnetc-build.log
  exit 1
fi
RUN=$PWD/build-gpu/bin/resnet-run
capture nvidia-smi

# cuDNN: the system's, or the one PyTorch's wheels carry.
if [ -z "${RESNETC_LIBCUDNN:-}" ] && ! ldconfig -p | grep -q 'libcudnn.so.9 '; then
  for dir in /usr/local/cuda/lib64 \
             "$(python3 -c 'import nvidia.cudnn, os; print(os.path.dirname(nvidia.cudnn.__file__) + "/lib")' 2>/dev/null)"; do
    if [ -e "$dir/libcudnn.so.9" ]; then
      export RESNETC_LIBCUDNN=$dir/libcudnn.so.9
      export LD_LIBRARY_PATH=$dir:${LD_LIBRARY_PATH:-}
      break
    fi
  done
fi
log "cuDNN: ${RESNETC_LIBCUDNN:-libcudnn.so.9 from the library path}"

# 2. Numerics against PyTorch (and the CPU target) on the GPU.
numerics() { # CONFIG PRECISION FLAGS...
  local config=$1 precision=$2
  shift 2
  log "numerics $config:"
  if capture timeout 150 "${PYTHON:-python3}" test/oracle/train_step.py none "$RUN" scripts \
       "$A/numerics/$config" --target cuda --device "$DEVICE" \
       --precision "$precision" --no-compile "$@"; then
    stage "numerics-$config" OK
  else
    stage "numerics-$config" FAILED
  fi
}
numerics fp32-cudnn fp32 --compare-cpu
numerics fp32-generated fp32 --compare-cpu
small=basic_bias_projection,bottleneck,grouped,preact
numerics tf32 tf32 --models $small
numerics bf16 bf16 --models $small

# 3. compute-sanitizer memcheck on one training step (and the initial
# inference), cuDNN's and the generated kernels.
sanitizer=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
if [ "$DEVICE" = cuda ] && [ -x "$sanitizer" ]; then
  n=$A/numerics/fp32-cudnn
  if timeout 120 "$sanitizer" --tool memcheck --error-exitcode 1 \
       "$RUN" "$n/bottleneck.plain.ptx" --data "$n/x.npy" --labels "$n/y.npy" \
       --train-steps 1 > /tmp/resnetc-memcheck.log 2>&1; then
    stage memcheck OK
  else
    stage memcheck FAILED
  fi
  capture tail -15 /tmp/resnetc-memcheck.log
else
  stage memcheck "SKIPPED (no compute-sanitizer, or not a GPU)"
fi

# 4. The benchmarks.
if [ "$DEVICE" = cuda ]; then
  if capture timeout "$(( $(left) - 150 ))" "${PYTHON:-python3}" bench/gpu.py \
       --resnet-run "$RUN" --artifacts "$A/bench" --out "$OUT/bench.json"; then
    stage bench OK
  else
    stage bench "FAILED or cut short (bench.json has what finished)"
  fi
fi

# 5. d2l's ResNet-18 on Fashion-MNIST, for the time that is left.
if [ "$DEVICE" = cuda ] && [ "$(left)" -gt 30 ]; then
  export RESNETC_FASHION_MNIST_DIR=$PWD/$A/fashion-mnist
  capture timeout "$(left)" \
    "$RUN" "$A/d2l_resnet18.train.ptx" --train --data fashion-mnist \
    --epochs 10 --lr 0.05 --checkpoint /tmp/resnetc-d2l
  status=$?
  epochs=$(( $(wc -l < /tmp/resnetc-d2l/metrics.csv 2>/dev/null || echo 1) - 1 ))
  case $status in
    0) stage d2l "OK (10 epochs)" ;;
    124) stage d2l "OK until the time ran out ($epochs epochs)" ;;
    *) stage d2l FAILED ;;
  esac
  cp /tmp/resnetc-d2l/metrics.csv "$OUT/d2l-metrics.csv" 2>/dev/null
fi

summary=""
for k in "${!result[@]}"; do summary+="$k=${result[$k]}; "; done
log "done in $(( $(date +%s) - start )) s: $summary"
