#!/usr/bin/env bash
# Several GPU stages in ONE device call (a fresh machine costs a build; the device tool returns at most 8 files),
# run ON the GPU machine from the repo root (carry [".carry"]):
#   bash scripts/gpu/batch.sh DEADLINE_S STAGE[:CAP_S] ...
# STAGE is `build` (scripts/gpu/check.sh build, skipped when build-gpu/gptbench exists), `gemv-tests` (the decode
# GEMV's three GPU test binaries), or NAME for scripts/gpu/NAME.sh. Each stage runs under its cap and never past
# DEADLINE_S seconds from the start (a stage that would start with < 30 s left is skipped and says so), with
# OUT=$OUT/NAME; its last lines are printed. Everything under $OUT ends in one file, $OUT/batch.tgz.
set -uo pipefail
OUT=${OUT:-/tmp/gptbench_gpu_out}
deadline=$(( $(date +%s) + ${1:?usage: batch.sh DEADLINE_S STAGE[:CAP_S] ...} ))
shift
work=$(mktemp -d)
status=0
for spec in "$@"; do
  name=${spec%%:*} cap=${spec#*:}
  [ "$cap" = "$spec" ] && cap=600
  left=$(( deadline - $(date +%s) ))
  if [ "$left" -lt 30 ]; then echo "== $name: skipped ($left s left)"; status=1; continue; fi
  [ "$cap" -gt "$left" ] && cap=$left
  mkdir -p "$work/$name"
  t0=$(date +%s)
  case "$name" in
    build) if [ -x build-gpu/gptbench ]; then echo "== build: build-gpu exists"; continue; fi
           cmd=(bash scripts/gpu/check.sh build) ;;
    gemv-tests) cmd=(bash -c 'cmake --build build-gpu -j "$(nproc)" --target fused_linear_gpu_test quantized_linear_gpu_test decode_graph_gpu_test >/dev/null && for t in kernels/fused_linear_gpu_test quant/quantized_linear_gpu_test model/decode_graph_gpu_test; do build-gpu/tests/$t 2>&1 | grep -E "^\[  (PASSED|FAILED) |Failure|Which is" | head -12 | sed "s|^|$(basename $t): |"; done') ;;
    *) cmd=(bash "scripts/gpu/$name.sh") ;;
  esac
  OUT=$work/$name timeout "$cap" "${cmd[@]}" >"$work/$name/stage.log" 2>&1
  rc=$?
  [ $rc -ne 0 ] && status=1
  echo "== $name: rc $rc, $(( $(date +%s) - t0 )) s (cap $cap s)"
  tail -n "${BATCH_TAIL:-25}" "$work/$name/stage.log"
done
find "$work" -name build.log -delete
mkdir -p "$OUT" && tar czf "$OUT/batch.tgz" -C "$work" .
exit $status
