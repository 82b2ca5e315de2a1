#!/usr/bin/env bash
# The decode GEMV at Mistral-7B sizes (kernels/NOTES.md, "the GEMV at Mistral sizes"), ON the GPU machine from the
# repo root after `scripts/gpu/check.sh build` in the same warm session (carry [".carry"]); < 4 minutes.
#   1. the GEMV GPU tests (fused_linear_gpu_test incl. the block-per-column rows, quantized_linear_gpu_test,
#      decode_graph_gpu_test: graph capture of the launches);
#   2. quant_gemv_bench (GPT-2, GPT-2 XL, Mistral projection shapes, rows 1-8, every format, cuBLAS fp16 as the
#      peer in the same process);
#   3. `check.sh family` with FAMILY_VARIANTS (default flash) and FAMILY_HF_IMPLS (default none: the transformers
#      peer is skipped; give sdpa to run it): Mistral-7B shape, bf16, B1, 512 + 64 tokens, against the floor.
# Outputs under $OUT/gemv_large/; a table of the rows-1 GEMV against cuBLAS last.
set -uo pipefail
OUT=${OUT:-/tmp/gptbench_gpu_out}
BUILD=${BUILD:-build-gpu}
dir=$OUT/gemv_large
mkdir -p "$dir"
if [ -f .carry/sentencepiece/include/sentencepiece_processor.h ]; then
  export LD_LIBRARY_PATH=$PWD/.carry/sentencepiece/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
[ -x "$BUILD/gptbench" ] || { echo "no $BUILD/gptbench: run scripts/gpu/check.sh build first (same warm machine)"; exit 1; }
status=0
t0=$(date +%s)
cmake --build "$BUILD" --target gptbench fused_linear_gpu_test quantized_linear_gpu_test decode_graph_gpu_test \
  quant_gemv_bench -j 16 >"$dir/build.log" 2>&1 || { tail -20 "$dir/build.log"; status=1; }
for t in kernels/fused_linear_gpu_test quant/quantized_linear_gpu_test model/decode_graph_gpu_test; do
  timeout 200 "$BUILD/tests/$t" >"$dir/$(basename $t).log" 2>&1 || status=1
  echo "$(basename $t): $(grep -E "PASSED|FAILED" "$dir/$(basename $t).log" | tr '\n' ' ')"
done
echo "tests: $(( $(date +%s) - t0 )) s"
timeout 180 "$BUILD/tests/quant/quant_gemv_bench" 100 >"$dir/quant_gemv_bench.jsonl" 2>"$dir/quant_gemv_bench.err" || status=1
python3 - "$dir/quant_gemv_bench.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
head, cells = rows[0], [r for r in rows[1:] if r.get("rows") == 1]
print(f"== GEMV rows 1, µs per call ({head.get('device')}, copy bandwidth {head.get('copy_bandwidth_gbs')} GB/s)")
print("| shape | K | N | fp16 path | fp16 µs | cuBLAS µs | fp16 / cuBLAS | fp16 vs floor | int8 µs | int4 µs | nf4 µs |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
by = {}
for r in cells: by.setdefault(r["shape"], {})[r["format"]] = r
for shape, f in by.items():
    d = f.get("fp16")
    if not d: continue
    q = lambda name: f"{f[name]['us']:.1f}" if name in f else "-"
    print(f"| {shape} | {d['k']} | {d['n']} | {d['path']} | {d['us']:.1f} | {d['cublas_fp16_us']:.1f} | "
          f"{d['us'] / d['cublas_fp16_us']:.2f} | {d['vs_floor']:.2f} | {q('int8')} | {q('int4')} | {q('nf4')} |")
PY
FAMILY_VARIANTS=${FAMILY_VARIANTS:-flash} FAMILY_HF_IMPLS=${FAMILY_HF_IMPLS:-none} OUT=$dir bash scripts/gpu/check.sh family \
  || status=1
echo "gemv_large.sh status $status"
exit $status
