#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: lit suites (front end,
# dialect, oracle comparisons with PyTorch, docs) and the GoogleTest unit tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
BUILD_DIR=${BUILD_DIR:-build}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
python3 /usr/lib/llvm-19/build/utils/lit/lit.py -sv "$BUILD_DIR/test" 2>&1 | tee "$log" || status=$?
passed=$(sed -n 's/^ *Passed *: *\([0-9]*\).*/\1/p' "$log" | tail -1)
failed=$(sed -n 's/^ *Failed *: *\([0-9]*\).*/\1/p' "$log" | tail -1)
unsupported=$(sed -n 's/^ *Unsupported *: *\([0-9]*\).*/\1/p' "$log" | tail -1)
echo "${passed:-0} passed, ${failed:-0} failed, ${unsupported:-0} skipped"
exit $status
