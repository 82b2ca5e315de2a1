#!/usr/bin/env bash
# Issue 19's nsa targets ON the GPU machine, from the repo root, after `bash scripts/gpu/check.sh build` in the
# same warm session (carry [".carry"]); one device call, < 5 minutes:
#   1. the nsa GPU tests: our sparse-branch kernels against the fp64 loops of each piece
#      (attention_nsa_select_gpu_test: prefill and one-query decode, fp16/bf16, D 64/128, grouped heads), the
#      whole variant in CUDA fp16 against the CPU (attention_nsa_gpu_test), and `train --variant nsa
#      --distill-from` in bf16 on CUDA (ctest train_distill_nsa_gpu; training runs the ATen branches);
#   2. `gptbench run` of a GPT-2-small shape with n_positions 65536 (random weights from `gptbench init`,
#      fp16, batch 1, synthetic prompt of T - 32 tokens, 32 new tokens) at T 8K, 32K, 64K with
#      --variant flash (our dense flash kernel) and --variant nsa (paper sizes: l 32, d 16, l' 64, n 16,
#      w 512): prefill = time to first token (p50), decode = time per output token (p50), peak memory, and
#      the kernels that ran (nsa's `nsa_..._w512:nsa_select_fp16_d64+flash:...` when our kernels computed its
#      compressed and selected branches, `:aten+flash:...` when ATen did).
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
cmake --build "$BUILD" --target gptbench attention_nsa_gpu_test attention_nsa_select_gpu_test -j 16 >"$dir/build.log" 2>&1 \
  || { grep -E "error" -A3 "$dir/build.log" | head -20; echo "BUILD FAILED"; exit 1; }
for t in attention_nsa_select_gpu_test attention_nsa_gpu_test; do
  timeout 150 "$BUILD/tests/attention/$t" >"$dir/$t.log" 2>&1 || status=1
  grep -E "^\[  (PASSED|FAILED) |max diff|near ties|skipped|Failure" "$dir/$t.log" | head -30
done
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
runs = {}
for t in (8192, 32768, 65536):
    for v in ("flash", "nsa"):
        p = f"{d}/run_{v}_{t}.json"
        runs[v, t] = json.load(open(p)) if os.path.exists(p) else None
print("| context T | variant | prefill kernel | decode kernel | prefill (ttft p50) ms | decode (tpot p50) ms | nsa / flash prefill | nsa / flash decode | peak allocated MiB |")
print("|---|---|---|---|---|---|---|---|---|")
for t in (8192, 32768, 65536):
    for v in ("flash", "nsa"):
        r = runs[v, t]
        if r is None:
            print(f"| {t} | {v} | (failed) | | | | | | |"); continue
        a, l, m = r["attention"], r["latency"], r["memory"]
        f = runs["flash", t]
        ratio = lambda key: f"{l[key]['p50'] / f['latency'][key]['p50']:.2f}" if v == "nsa" and f else ""
        print(f"| {t} | {v} | {(a.get('prefill_kernel') or a['kernel'])[:96]} | {(a.get('decode_kernel') or '')[:96]} | "
              f"{l['ttft']['p50']:.1f} | {l['tpot']['p50']:.2f} | {ratio('ttft')} | {ratio('tpot')} | "
              f"{m['peak_allocated_bytes'] / 2**20:.0f} |")
PY
exit $status
