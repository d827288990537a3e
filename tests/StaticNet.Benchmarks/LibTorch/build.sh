#!/usr/bin/env bash
# Builds libsnet_torch.so beside this script: the libtorch peer of LibTorchBenchmarks.
# Needs g++ and Debian's libtorch (bookworm: PyTorch 1.13.1):
#   apt-get install libtorch-dev libopenblas0-openmp
# Debian's libtorch calls the system BLAS; without OpenBLAS that is the netlib reference BLAS, which
# is not what a libtorch user runs. The OpenMP build of OpenBLAS shares libtorch's OpenMP threads.
set -euo pipefail
cd "$(dirname "$0")"
g++ -O2 -std=c++17 -shared -fPIC -o libsnet_torch.so snet_torch.cpp \
    -I/usr/include/torch/csrc/api/include -ltorch -ltorch_cpu -lc10
echo "built $(pwd)/libsnet_torch.so"
