#!/usr/bin/env bash
# Builds the front-end fuzzer (clang, libFuzzer, ASan+UBSan) in build-fuzz/ and
# runs it for SECONDS seconds (default 600) on the seed corpus: the models and
# the front-end tests. Crashes are written to build-fuzz/artifacts/.
#   scripts/fuzz.sh [SECONDS] [JOBS]
set -euo pipefail
cd "$(dirname "$0")/.."
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
ninja -C build-fuzz resnetc-fuzz-frontend
mkdir -p build-fuzz/corpus build-fuzz/artifacts
cp models/*.rn lib/Frontend/Prelude.rn build-fuzz/corpus/ 2>/dev/null || true
find test/Frontend -name '*.rn' -exec cp {} build-fuzz/corpus/ \; 2>/dev/null || true
parallel=()
if [ "$jobs" -gt 1 ]; then
  # Each worker logs to build-fuzz/fuzz-N.log.
  parallel=(-jobs="$jobs" -workers="$jobs")
  cd build-fuzz
  exec bin/resnetc-fuzz-frontend corpus -dict=../fuzz/rn.dict \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=8192 \
    "${parallel[@]}" -print_final_stats=1 -artifact_prefix=artifacts/
fi
build-fuzz/bin/resnetc-fuzz-frontend build-fuzz/corpus \
  -dict=fuzz/rn.dict -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
  -max_len=8192 -print_final_stats=1 -artifact_prefix=build-fuzz/artifacts/
