#!/bin/sh
# Compiles every model of MODELS_DIR into a CUDA artifact (fp32; infer, then
# train), assembles it with ptxas for sm_90a (at -O0: validity is what is
# checked, and it halves the time) and checks its plan against its PTX with
# check_plan.py; prints one line per model and mode and exits non-zero if
# any step fails.
# usage: ptx_all_models.sh MODELS_DIR PTXAS PYTHON CHECK_PLAN WORK_DIR
set -u
models=$1 ptxas=$2 python=$3 check=$4 work=$5
mkdir -p "$work"
status=0
for rn in "$models"/*.rn; do
  name=$(basename "$rn" .rn)
  for mode in infer train; do
    ptx="$work/$name.$mode.ptx"
    if ! resnetc "$rn" --batch 2 --mode=$mode -o "$ptx"; then
      echo "$name $mode: resnetc FAILED"; status=1; continue
    fi
    if ! "$ptxas" -arch=sm_90a -O0 "$ptx" -o "$work/$name.$mode.cubin"; then
      echo "$name $mode: ptxas FAILED"; status=1; continue
    fi
    if ! plan=$("$python" "$check" "$ptx"); then
      echo "$name $mode: plan check FAILED"; status=1; continue
    fi
    kernels=$(grep -c '^.visible .entry' "$ptx")
    echo "$name $mode: $kernels kernels, ptxas OK, $plan"
    rm -f "$ptx" "$work/$name.$mode.cubin"
  done
done
exit $status
