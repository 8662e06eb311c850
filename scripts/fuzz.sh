#!/usr/bin/env bash
# Builds a fuzzer (clang, libFuzzer, ASan+UBSan) in build-fuzz/ and runs it
# for SECONDS seconds (default 600) on its seed corpus. Crashes are written
# to build-fuzz/artifacts/ (build-fuzz/artifacts/TARGET/ for the format
# readers).
#   scripts/fuzz.sh [TARGET] [SECONDS] [JOBS]
# TARGET (default frontend):
#   frontend     the .rn front end through MLIRGen; seeds: the models and
#                the front-end tests
#   safetensors  the safetensors reader and writer; seeds: fuzz/seeds/
#   plan         the plan reader and the PTX artifact reader
#   npy          the .npy reader and writer
# `scripts/fuzz.sh SECONDS [JOBS]` fuzzes the front end, as before.
set -euo pipefail
cd "$(dirname "$0")/.."
target=frontend
case "${1:-}" in
  frontend|safetensors|plan|npy) target=$1; shift ;;
  ''|[0-9]*) ;;
  *) echo "fuzz.sh: unknown target '$1' (frontend, safetensors, plan, npy)" >&2
     exit 1 ;;
esac
seconds=${1:-600}
jobs=${2:-1}
scripts/install-deps.sh
if [ ! -f build-fuzz/build.ninja ]; then
  cmake -G Ninja -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DMLIR_DIR=/usr/lib/llvm-19/lib/cmake/mlir \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DLLVM_USE_LINKER=lld \
    -DRESNETC_FUZZ=ON -DRESNETC_BUILD_TESTS=OFF \
    $(command -v ccache >/dev/null && echo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
ninja -C build-fuzz "resnetc-fuzz-$target"

if [ "$target" = frontend ]; then
  corpus=corpus
  artifacts=artifacts/
  dict=rn.dict
  maxlen=8192
  mkdir -p build-fuzz/corpus build-fuzz/artifacts
  cp models/*.rn lib/Frontend/Prelude.rn build-fuzz/corpus/ 2>/dev/null || true
  find test/Frontend -name '*.rn' -exec cp {} build-fuzz/corpus/ \; 2>/dev/null || true
else
  corpus=corpus-$target
  artifacts=artifacts/$target/
  dict=$target.dict
  # The plan seeds include PTX artifacts of some 20 KB.
  case $target in
    plan) maxlen=65536 ;;
    safetensors) maxlen=8192 ;;
    npy) maxlen=2048 ;;
  esac
  mkdir -p "build-fuzz/$corpus" "build-fuzz/$artifacts"
  cp fuzz/seeds/"$target"/* "build-fuzz/$corpus/"
fi

parallel=()
if [ "$jobs" -gt 1 ]; then
  # Each worker logs to build-fuzz/fuzz-N.log.
  parallel=(-jobs="$jobs" -workers="$jobs")
fi
cd build-fuzz
exec "bin/resnetc-fuzz-$target" "$corpus" -dict="../fuzz/$dict" \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
  -max_len="$maxlen" "${parallel[@]}" -print_final_stats=1 \
  -artifact_prefix="$artifacts"
