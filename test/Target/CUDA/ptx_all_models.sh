#!/bin/sh
# Compiles each MODEL into a CUDA artifact (infer, then train, with FLAGS),
# assembles it with ptxas for sm_80 (at -O0: validity is what is checked,
# and it halves the time), checks its plan against its PTX with
# check_plan.py and that the simulated GPU's PTX interpreter knows every
# instruction (resnetc-ptx-inventory); prints one line per model and mode
# and exits non-zero if any step fails.
# usage: ptx_all_models.sh PTXAS PYTHON CHECK_PLAN WORK_DIR "FLAGS" MODEL...
set -u
ptxas=$1 python=$2 check=$3 work=$4 flags=$5
shift 5
mkdir -p "$work"
status=0
for rn in "$@"; do
  name=$(basename "$rn" .rn)
  for mode in infer train; do
    ptx="$work/$name.$mode.ptx"
    # shellcheck disable=SC2086
    if ! resnetc "$rn" --batch 2 --mode=$mode $flags -o "$ptx"; then
      echo "$name $mode: resnetc FAILED"; status=1; continue
    fi
    if ! "$ptxas" -arch=sm_80 -O0 "$ptx" -o "$work/$name.$mode.cubin"; then
      echo "$name $mode: ptxas FAILED"; status=1; continue
    fi
    if ! plan=$("$python" "$check" "$ptx"); then
      echo "$name $mode: plan check FAILED"; status=1; continue
    fi
    if ! resnetc-ptx-inventory "$ptx" > /dev/null; then
      echo "$name $mode: PTX interpreter FAILED"; status=1; continue
    fi
    kernels=$(grep -c '^.visible .entry' "$ptx")
    echo "$name $mode: $kernels kernels, ptxas OK, $plan"
    rm -f "$ptx" "$work/$name.$mode.cubin"
  done
done
exit $status
