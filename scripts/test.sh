#!/usr/bin/env bash
# Builds everything (scripts/setup.sh) and runs the whole test suite with ctest.
# Without a CUDA device the tests labelled `gpu` are excluded, and the script says so;
# they run on the GPU machine (scripts/gpu/check.sh).
#   GPTBENCH_DATA_DIR  the shared data folder (default: ../shared/data beside the repo)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${GPTBENCH_BUILD_DIR:-$ROOT/build}
if [ -n "${GPTBENCH_DATA_DIR:-}" ]; then
  export GPTBENCH_CMAKE_ARGS="${GPTBENCH_CMAKE_ARGS:-} -DGPTBENCH_DATA_DIR=$GPTBENCH_DATA_DIR"
fi
"$ROOT/scripts/setup.sh"
PY=$(cat "$BUILD_DIR/.gptbench-python")
cd "$BUILD_DIR"
if "$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  echo "[test] CUDA device found: running all tests, GPU tests included"
  ctest --output-on-failure -j "${GPTBENCH_TEST_JOBS:-2}" "$@"
else
  n_gpu=$(ctest -N -L gpu | sed -n 's/^Total Tests: //p')
  echo "[test] no CUDA device on this machine: the ${n_gpu:-0} tests labelled 'gpu' are EXCLUDED here" \
       "(they run on the GPU machine: scripts/gpu/check.sh)"
  ctest --output-on-failure -j "${GPTBENCH_TEST_JOBS:-2}" -LE gpu "$@"
fi
