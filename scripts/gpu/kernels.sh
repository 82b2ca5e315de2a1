#!/usr/bin/env bash
# One GPU cycle for the flash kernels (issue 4), run on the device machine from the repo root:
# configure (the machine's own torch, sm_90a only), build our targets, run the CPU and GPU
# tests, the tile lab and attn-bench, then print a short table last. Full outputs go under
# $OUT (at most 8 files come back): build.log, tests.log, lab.log, bench_*.json, bench.md.
# Usage: scripts/gpu/kernels.sh [quick]   (quick: tests + one small bench, no lab)
set -uo pipefail
MODE=${1:-full}
OUT=${OUT:-/tmp/kernels_out}
mkdir -p "$OUT"
BUILD=build-gpu
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu --format=csv | tee "$OUT/tests.log"

PREFIX=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
t0=$(date +%s)
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_PREFIX_PATH="$PREFIX" -DGPTBENCH_PYTHON=python3 \
  -DCMAKE_CUDA_ARCHITECTURES=90a -DGPTBENCH_DATA_DIR=/nonexistent -DGPTBENCH_KERNEL_LAB=ON \
  -DGPTBENCH_PTXAS_VERBOSE=ON >"$OUT/build.log" 2>&1 || { tail -40 "$OUT/build.log"; echo "CONFIGURE FAILED"; exit 1; }
TARGETS="attention_op_cpu_test flash_attention_gpu_test gptbench"
[ "$MODE" = full ] && TARGETS="$TARGETS flash_lab"
cmake --build "$BUILD" --target $TARGETS -j 16 >>"$OUT/build.log" 2>&1 || {
  grep -E "error|Error" -A3 "$OUT/build.log" | head -60; echo "BUILD FAILED"; exit 1; }
echo "configure+build: $(( $(date +%s) - t0 )) s"
grep -E "[1-9][0-9]* bytes spill (stores|loads)|[1-9][0-9]* bytes stack" "$OUT/build.log" | sort | uniq -c | head -10

status=0
t0=$(date +%s)
"$BUILD/tests/kernels/attention_op_cpu_test" --gtest_brief=1 >>"$OUT/tests.log" 2>&1 || status=1
timeout 400 "$BUILD/tests/kernels/flash_attention_gpu_test" --gtest_brief=1 >>"$OUT/tests.log" 2>&1 || status=1
echo "tests: $(( $(date +%s) - t0 )) s, status $status"
grep -E "seed|Failure|error:|Expected|Which is|max abs err|FAILED|PASSED|SKIPPED" "$OUT/tests.log" | head -40

BENCH="$BUILD/gptbench attn-bench"
VARIANTS=flash,flash+alibi,flash+sparse,sdpa-flash,sdpa-cudnn,sdpa-efficient,sdpa-cudnn+alibi,sdpa-efficient+alibi
if [ "$MODE" = full ]; then
  timeout 150 "$BUILD/kernels/lab/flash_lab" >"$OUT/lab.log" 2>&1; grep "lab prefill" "$OUT/lab.log"
  $BENCH --batch 16 --seq 1024 --variants $VARIANTS,sdpa-math --window 256 --out "$OUT/bench_t1024.json" >"$OUT/bench.md" 2>>"$OUT/tests.log"
  $BENCH --batch 4 --seq 4096 --variants $VARIANTS --window 256 --out "$OUT/bench_t4096.json" >>"$OUT/bench.md" 2>>"$OUT/tests.log"
  $BENCH --batch 1 --seq 16384 --variants $VARIANTS --window 256 --out "$OUT/bench_t16384.json" >>"$OUT/bench.md" 2>>"$OUT/tests.log"
  $BENCH --decode --batch 8 --kv-len 4096,8192,16384,32768 --variants flash,sdpa-flash,sdpa-efficient,sdpa-cudnn \
    --out "$OUT/bench_decode.json" >>"$OUT/bench.md" 2>>"$OUT/tests.log"
else
  $BENCH --batch 4 --seq 4096 --variants flash,sdpa-flash,sdpa-cudnn --out "$OUT/bench_t4096.json" >"$OUT/bench.md" 2>>"$OUT/tests.log"
fi

# Short table last: TFLOP/s (prefill) or GB/s (decode) per cell.
python3 - "$OUT" <<'PY'
import glob, json, sys
for f in sorted(glob.glob(sys.argv[1] + "/bench_*.json")):
    r = json.load(open(f))
    print(f"== {f.split('/')[-1]} on {r['env']['gpu']} ({r['env']['time_utc']})")
    for x in r["results"]:
        shape = f"B{x['batch']} T{x['k_len']}"
        if x["status"] != "ok":
            print(f"  {x['variant']:22s} {shape:12s} skipped: {x.get('reason','')[:90]}")
            continue
        extra = f" {x['kv_gbps']:6.0f} GB/s" if "kv_gbps" in x else ""
        ratio = f" flash/this {x['flash_over_this']:.2f}" if "flash_over_this" in x else ""
        print(f"  {x['variant']:22s} {shape:12s} {x['median_ms']:9.4f} ms {x['tflops']:7.1f} TF{extra}{ratio}  [{x['kernel']}]")
PY
exit $status
