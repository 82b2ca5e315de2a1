#!/usr/bin/env bash
# Issue 19's nsa targets ON the GPU machine, from the repo root, after `bash scripts/gpu/check.sh build`
# in the same warm session (carry [".carry"]); one device call, < 4 minutes:
#   1. the nsa GPU test (CUDA fp16 against the CPU result, prefill and cached decode), and
#      `train --variant nsa --distill-from` in bf16 on CUDA (ctest train_distill_nsa_gpu);
#   2. `gptbench run` of a GPT-2-small shape with n_positions 65536 (random weights from `gptbench init`,
#      fp16, batch 1, synthetic prompt of T - 32 tokens, 32 new tokens) at T 8K, 32K, 64K with
#      --variant flash (our dense flash kernel) and --variant nsa (paper sizes: l 32, d 16, l' 64, n 16,
#      w 512): prefill = time to first token (p50), decode = time per output token (p50), peak memory.
# The selection branch has no CUDA kernel yet: nsa runs ATen gathers/matmuls plus our flash kernel for
# its window (the report's kernel says `nsa_...:aten+flash:...`), so this measures that implementation.
# Outputs under $OUT/nsa/: one report per run (run_<variant>_<T>.json), nsa_bench.md (the table, printed last).
set -uo pipefail
OUT=${OUT:-/tmp/gptbench_gpu_out}
BUILD=build-gpu
BIN=$BUILD/gptbench
DATA=${GPTBENCH_DATA_DIR:-$PWD/.carry/data}
dir=$OUT/nsa
mkdir -p "$dir"
[ -x "$BIN" ] || { echo "no $BIN: run scripts/gpu/check.sh build first"; exit 1; }
status=0
cmake --build "$BUILD" --target gptbench attention_nsa_gpu_test -j 16 >"$dir/build.log" 2>&1 \
  || { grep -E "error" -A3 "$dir/build.log" | head -20; echo "BUILD FAILED"; exit 1; }
timeout 120 "$BUILD/tests/attention/attention_nsa_gpu_test" >"$dir/gpu_test.log" 2>&1 || status=1
grep -E "^\[  (PASSED|FAILED) |max diff|skipped" "$dir/gpu_test.log"
(cd "$BUILD" && timeout 120 ctest -R "^train_distill_nsa_gpu$" -V) >"$dir/distill_gpu.log" 2>&1 || status=1
grep -E "^[0-9]+: (ok|FAIL)" "$dir/distill_gpu.log"

source scripts/gpu/long_context.sh
model=$(long_context_model "$BIN" "$DATA" "$dir/init.log") || { echo "init failed"; exit 1; }

for t in 8192 32768 65536; do
  for v in flash nsa; do
    long_context_run "$BIN" "$model" $v $t 32 1 150 "$dir/run_${v}_$t.json" "$dir/run_err.txt" || status=1
  done
done

python3 - "$dir" <<'PY' | tee "$dir/nsa_bench.md"
import json, os, sys
d = sys.argv[1]
print("| context T | variant | kernel | prefill (ttft p50) ms | decode (tpot p50) ms | peak allocated MiB |")
print("|---|---|---|---|---|---|")
for t in (8192, 32768, 65536):
    for v in ("flash", "nsa"):
        p = f"{d}/run_{v}_{t}.json"
        if not os.path.exists(p):
            print(f"| {t} | {v} | (failed) | | | |"); continue
        r = json.load(open(p)); m = r["memory"]; l = r["latency"]
        print(f"| {t} | {v} | {r['attention']['kernel'][:60]} | {l['ttft']['p50']:.1f} | {l['tpot']['p50']:.2f} | "
              f"{m['peak_allocated_bytes'] / 2**20:.0f} |")
PY
exit $status
