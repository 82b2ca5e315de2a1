#!/usr/bin/env bash
# One short GPU call (device time is scarce): build the binary only, write the CI regression
# baseline (scripts/ci/gpu_regression.sh --refresh-baseline), then the sample sweep
# (scripts/gpu/sweep.sh) under a time bound; it resumes if run again. Everything comes back as one
# archive, $OUT/results.tar.gz (the device tool returns few files).
set -uo pipefail
OUT=${OUT:-/tmp/gptbench_gpu_out}
mkdir -p "$OUT/ci" "$OUT/sweep"
BUILD=build-gpu
pack() { tar -czf "$OUT/results.tar.gz" -C "$OUT" ci sweep 2>/dev/null; }
t0=$(date +%s)
prefix=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
cmake -S . -B $BUILD -G Ninja -DCMAKE_PREFIX_PATH="$prefix" -DGPTBENCH_PYTHON="$(command -v python3)" \
  -DCMAKE_CUDA_ARCHITECTURES=90a -DGPTBENCH_DATA_DIR="$PWD/.carry/data" >"$OUT/build.log" 2>&1 &&
  cmake --build $BUILD -j 16 --target gptbench >>"$OUT/build.log" 2>&1 || { tail -20 "$OUT/build.log"; exit 1; }
echo "build: $(( $(date +%s) - t0 )) s"
OUT=$OUT/ci timeout ${BASELINE_TIMEOUT:-90} bash scripts/ci/gpu_regression.sh --refresh-baseline --bin $BUILD/gptbench \
  --no-gpu-tests 2>&1 | tail -4
pack
OUT=$OUT/sweep SWEEP_TIMEOUT=${SWEEP_TIMEOUT:-150} bash scripts/gpu/sweep.sh 2>&1 | tail -30
pack
echo "total: $(( $(date +%s) - t0 )) s"
