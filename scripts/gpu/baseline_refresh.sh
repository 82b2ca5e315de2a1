#!/usr/bin/env bash
# The GPU regression baseline of the GPU present (bench/baselines/README.md), ON the GPU machine after
# `scripts/gpu/check.sh build` in the same warm session: the pinned benchmark with the built binary, no GPU tests
# (run those as their own stage), reports written as the baseline; < 1 minute on an H200. The new baseline comes
# back under $OUT/baseline/<gpu>/: copy it to bench/baselines/gpu_regression/<gpu>/ and add its row to the README.
set -uo pipefail
exec bash scripts/ci/gpu_regression.sh --refresh-baseline --bin build-gpu/gptbench --no-gpu-tests
