#!/usr/bin/env bash
# Issue 22 step 1, correctness: builds decode_megakernel_gpu_test in build-gpu (after `scripts/gpu/check.sh build`
# in the same warm session) and runs it, ON the GPU machine from the repo root (carry [".carry"]); a batch.sh stage,
# < 3 minutes. The test compares the persistent decode megakernel with the CUDA-graph decode path's kernels and an
# fp64 reference step by step (tests/model/decode_megakernel_gpu_test.cpp); a failure names the case, step, layer,
# phase, row and column. A kernel that waits over ~2 s for anything prints what it waited for and traps.
# Outputs under $OUT: build.log, test.log.
set -uo pipefail
OUT=${OUT:-/tmp/gptbench_gpu_out}
BUILD=${BUILD:-build-gpu}
mkdir -p "$OUT"
[ -f "$BUILD/build.ninja" ] || { echo "no $BUILD: run scripts/gpu/check.sh build first (same warm machine)"; exit 1; }
t0=$(date +%s)
cmake --build "$BUILD" --target decode_megakernel_gpu_test -j "$(nproc)" >"$OUT/build.log" 2>&1 \
  || { grep -E "error" -A3 "$OUT/build.log" | head -30; echo "BUILD FAILED"; exit 1; }
echo "build: $(( $(date +%s) - t0 )) s"
status=0
timeout 240 "$BUILD/tests/model/decode_megakernel_gpu_test" >"$OUT/test.log" 2>&1 || status=1
grep -E "^\[  (PASSED|FAILED) |^\[ (megakernel|mutation|near tie) \]|Failure|Expected|Which is|Value of|gave up|megakernel:" \
  "$OUT/test.log" | head -60
echo "test: $(( $(date +%s) - t0 )) s, status $status"
exit $status
