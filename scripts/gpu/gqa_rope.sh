#!/usr/bin/env bash
# Issue 16 (GQA + RoPE in our flash kernels), run ON the GPU machine from the repo root after
# `scripts/gpu/check.sh build` (build-gpu): the flash GPU tests (the GQA/RoPE grid and the GPT-2
# grid) and attn-bench at the Mistral-7B attention shape (H 32, Hkv 8, D 128), fp16 and bf16,
# prefill T 4096 and decode at 512 and 4096 keys, B 1 and 8, each without and with --rope.
# Outputs under $OUT (gqa_rope_tests.log, bench.md, bench_*.json); a short table is printed last.
set -uo pipefail
OUT=${OUT:-/tmp/gqa_rope_out}
mkdir -p "$OUT"
BUILD=${BUILD:-build-gpu}
status=0
t0=$(date +%s)
{
  timeout 240 "$BUILD/tests/kernels/flash_gqa_rope_gpu_test" --gtest_brief=1 || status=1
  timeout 240 "$BUILD/tests/kernels/flash_attention_gpu_test" --gtest_brief=1 || status=1
} >"$OUT/gqa_rope_tests.log" 2>&1
echo "tests: $(( $(date +%s) - t0 )) s, status $status"
grep -E "seed|Failure|Expected|Which is|max abs err|FAILED|PASSED|SKIPPED" "$OUT/gqa_rope_tests.log" | head -30

BENCH="$BUILD/gptbench attn-bench --heads 32 --kv-heads 8 --head-dim 128 --dtype fp16,bf16 --batch 1,8"
VARIANTS=flash,sdpa-flash,sdpa-cudnn,sdpa-efficient
: >"$OUT/bench.md"
for rope in "" --rope; do
  tag=${rope:+_rope}
  $BENCH --seq 4096 --variants $VARIANTS $rope --out "$OUT/bench_prefill$tag.json" >>"$OUT/bench.md" 2>>"$OUT/gqa_rope_tests.log" || status=1
  $BENCH --decode --kv-len 512,4096 --variants $VARIANTS $rope --out "$OUT/bench_decode$tag.json" >>"$OUT/bench.md" 2>>"$OUT/gqa_rope_tests.log" || status=1
done
python3 - "$OUT" <<'PY'
import glob, json, sys
for f in sorted(glob.glob(sys.argv[1] + "/bench_*.json")):
    rows = json.load(open(f))["results"]
    print("==", f.split("/")[-1])
    for r in rows:
        rate = f"{r['kv_gbps']:.0f} GB/s" if r.get("kv_gbps") else f"{r.get('tflops', 0):.1f} TF"
        val = f"{r['median_ms']:.4f} ms {rate}" if r["status"] == "ok" else "skipped: " + r.get("reason", "")[:60]
        print(f"  {r['variant']:15s} {r['dtype']} B{r['batch']} Tk{r['k_len']:5d} {val}  [{r['kernel']}]")
PY
exit $status
