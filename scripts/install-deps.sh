#!/usr/bin/env bash
# Installs what resnetc needs on Debian 12 (bookworm), as root. Idempotent: a
# package already present is not touched, and nothing is downloaded when all
# are present. CUDA 13 (with cuDNN 9) is expected at /usr/local/cuda and is
# not installed here.
set -euo pipefail

packages=(
  cmake ninja-build clang lld ccache          # build
  libmlir-19-dev mlir-19-tools                # MLIR 19
  llvm-19-dev llvm-19-tools libzstd-dev       # LLVM 19, lit, FileCheck
  libgtest-dev                                # unit tests
  zlib1g-dev dataset-fashion-mnist            # runtime: gzip, Fashion-MNIST
  nlohmann-json3-dev                          # runtime: JSON (header-only)
  libdnnl-dev                                 # runtime: oneDNN (CPU convolutions)
  libclang-rt-14-dev                          # sanitizers and libFuzzer (clang 14)
  python3 python3-torch python3-torchvision   # numerics oracle
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
