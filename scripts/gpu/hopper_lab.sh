#!/usr/bin/env bash
# One device call for the sm_90a prefill kernel (issue 20), run on the H200 from a folder that
# holds kernels/ and scripts/ (the repo root, or the .hopper copy the device tool carries):
# nvcc-only build of kernels/lab/flash_sm90_lab.cu with every (dtype, D, policy) instance of
# both prefill kernels (sm_90a code only), the SASS check (HGMMA present, no local memory), the
# lab's correctness grid, then its timings and SDPA's cuDNN/FA2 in the same call; the merged
# table is printed last. Outputs under $OUT: build.log, sass.txt, lab.log, sdpa.json, table.md.
# Usage: scripts/gpu/hopper_lab.sh [check|time|ncu|all]   (ncu: counters of one launch, ncu.txt)
set -uo pipefail
MODE=${1:-all}
OUT=${OUT:-/tmp/hopper_out}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-/tmp/hopper_build}
mkdir -p "$OUT" "$BUILD/instances"
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu --format=csv,noheader
NVCC="nvcc -std=c++17 -O3 --expt-relaxed-constexpr -lineinfo -gencode=arch=compute_90a,code=sm_90a -I$ROOT/kernels"

# One explicit instantiation per file (as kernels/CMakeLists.txt does), compiled in parallel.
for dt in __half __nv_bfloat16; do
  for d in 64 128; do
    for pol in kCausal kAlibi kWindow kAlibiWindow; do
      args="$dt, $d, gptbench::kernels::MaskPolicy::$pol"
      name=$(echo "${dt}_${d}_${pol}" | tr -d '_' )
      printf '#include "flash_prefill.cuh"\ntemplate cudaError_t gptbench::kernels::run_flash_prefill<%s>(const gptbench::kernels::AttentionParams&, cudaStream_t);\n' \
        "$args" >"$BUILD/instances/sm80_$name.cu"
      printf '#include "flash_prefill_sm90.cuh"\ntemplate cudaError_t gptbench::kernels::run_flash_prefill_sm90<%s>(const gptbench::kernels::AttentionParams&, cudaStream_t);\n' \
        "$args" >"$BUILD/instances/sm90_$name.cu"
    done
  done
done
t0=$(date +%s)
ls "$BUILD"/instances/*.cu | xargs -P 16 -I{} sh -c "$NVCC -Xptxas -v -c {} -o {}.o 2>{}.log || echo FAILED {}" \
  >"$BUILD/failed.txt"
$NVCC -Xcompiler -fopenmp -c "$ROOT/kernels/lab/flash_sm90_lab.cu" -o "$BUILD/lab.o" 2>"$BUILD/lab.log" || echo FAILED lab >>"$BUILD/failed.txt"
cat "$BUILD"/instances/*.log "$BUILD/lab.log" >"$OUT/build.log"
if [ -s "$BUILD/failed.txt" ]; then cat "$BUILD/failed.txt"; grep -E "error" -A3 "$OUT/build.log" | head -40; echo "BUILD FAILED"; exit 1; fi
$NVCC -Xcompiler -fopenmp "$BUILD"/instances/*.o "$BUILD/lab.o" -o "$BUILD/flash_sm90_lab" 2>>"$OUT/build.log" || { tail "$OUT/build.log"; echo "LINK FAILED"; exit 1; }
echo "build: $(( $(date +%s) - t0 )) s"
grep -A2 "flash_prefill_sm90_kernel" "$OUT/build.log" | grep -E "registers|spill" | sort | uniq -c

# SASS: the sm_90 kernels must issue HGMMA and touch no local memory.
for f in "$BUILD"/instances/sm90_*.o; do
  n=$(cuobjdump --dump-sass "$f" | grep -c HGMMA); l=$(cuobjdump --dump-sass "$f" | grep -cE "\b(LDL|STL)\b")
  echo "$(basename "$f") HGMMA $n LDL/STL $l"
done >"$OUT/sass.txt"
cuobjdump --dump-sass "$BUILD/instances/sm90_half64kCausal.cu.o" >"$OUT/sass_half64_causal.txt" 2>&1
head -3 "$OUT/sass.txt"; echo "(sass.txt: all 16)"

status=0
[ "$MODE" = check ] || [ "$MODE" = all ] && { OMP_NUM_THREADS=16 timeout 150 "$BUILD/flash_sm90_lab" check >"$OUT/lab.log" 2>&1 || status=1; }
grep -E "FAIL|passed|error|illegal" "$OUT/lab.log" | head -30
if [ "$MODE" = time ] || [ "$MODE" = all ]; then
  timeout 150 "$BUILD/flash_sm90_lab" time >>"$OUT/lab.log" 2>&1 || status=1
  timeout 150 python3 "$ROOT/scripts/gpu/sdpa_peer.py" --lab-log "$OUT/lab.log" --out "$OUT/sdpa.json" >"$OUT/table.md" 2>&1 || status=1
  cat "$OUT/table.md"
fi
if [ "$MODE" = ncu ] || [ "$MODE" = all ]; then
  # Counters of one sm90 launch: B4 T4096 fp16 D64 causal (the lab's 2nd shape; 33 launches each).
  timeout 150 ncu --clock-control none --kernel-name regex:flash_prefill_sm90 --launch-skip 38 --launch-count 1 \
    --section SpeedOfLight --section ComputeWorkloadAnalysis --section WarpStateStats \
    "$BUILD/flash_sm90_lab" time >"$OUT/ncu.txt" 2>&1
  grep -E "Throughput|Pipe|Issue|Stall|Warp Cycles|Duration|==PROF==|==ERROR==" "$OUT/ncu.txt" | head -25
fi
echo "status $status"
exit $status
