#!/usr/bin/env bash
# Issue 16's decode fusions (kernels/NOTES.md, "Decode at Mistral sizes, part 2"), ON the GPU machine from the repo
# root after `scripts/gpu/check.sh build` in the same warm session (carry [".carry"]); < 6 minutes:
#   1. the GEMV GPU tests (RMSNorm and SwiGLU-gate prologues beside the others), the Llama GPU parity against
#      transformers (fp32 + bf16, 1B-class shape) and the CUDA variant equivalence;
#   2. the split-KV length A/B in one process per run: GPTBENCH_DECODE_MIN_KEYS=256 (the old split) against the
#      default, graph decode B1 (512 + 64 tokens) at the gpt2, gpt2-xl and Mistral-7B shapes (random weights of
#      `gptbench init`; Mistral's tokenizer from .carry/mistral_tokenizer), and attn-bench decode rows;
#   3. a table: ms/token and the weight-bytes floor of each.
set -uo pipefail
OUT=${OUT:-/tmp/gptbench_gpu_out}
BUILD=${BUILD:-build-gpu}
DATA=${GPTBENCH_DATA_DIR:-$PWD/.carry/data}
BIN=$BUILD/gptbench
mkdir -p "$OUT"
if [ -f .carry/sentencepiece/include/sentencepiece_processor.h ]; then
  export LD_LIBRARY_PATH=$PWD/.carry/sentencepiece/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
export GPTBENCH_DATA_DIR=$DATA GPTBENCH_BIN=$PWD/$BIN PYTHONUNBUFFERED=1
status=0
t0=$(date +%s)
cmake --build "$BUILD" --target gptbench fused_linear_gpu_test quantized_linear_gpu_test decode_graph_gpu_test llama_decode_gpu_test \
  llama_tool model_unit_tests -j "$(nproc)" >"$OUT/build.log" 2>&1 || { tail -20 "$OUT/build.log"; exit 1; }
for t in kernels/fused_linear_gpu_test quant/quantized_linear_gpu_test model/decode_graph_gpu_test model/llama_decode_gpu_test; do
  timeout 200 "$BUILD/tests/$t" >"$OUT/$(basename $t).log" 2>&1 || status=1
  echo "$(basename $t): $(grep -E "^\[  (PASSED|FAILED) " "$OUT/$(basename $t).log" | tr '\n' ' ')"
done
timeout 240 ctest --test-dir "$BUILD" -R "llama_parity_hf_gpu|variant_equivalence_cuda" --output-on-failure \
  >"$OUT/ctest.log" 2>&1 || status=1
grep -E "tests passed|Passed|Failed|\*\*\*" "$OUT/ctest.log" | head -8
echo "tests: $(( $(date +%s) - t0 )) s"

# 2. The models (fp16 random weights of the real shapes).
for config in gpt2 gpt2-xl mistral-7b; do
  model=/tmp/$config-init
  [ -f $model/model.safetensors ] && continue
  tok=(--tokenizer "$DATA/gpt2_tokenizer")
  [ "$config" = mistral-7b ] && tok=(--tokenizer .carry/mistral_tokenizer)
  timeout 200 "$BIN" init --config "$config" --dtype fp16 --seed 0 --out $model "${tok[@]}" >"$OUT/init_$config.log" 2>&1 \
    || { tail -2 "$OUT/init_$config.log"; status=1; }
done
: >"$OUT/runs.jsonl"
for config in gpt2 gpt2-xl mistral-7b; do
  for min_keys in 256 default; do
    env=()
    [ "$min_keys" != default ] && env=(GPTBENCH_DECODE_MIN_KEYS=$min_keys)
    env "${env[@]}" timeout 150 "$BIN" run --model /tmp/$config-init --variant flash --dtype fp16 --device cuda \
      --dataset synthetic --prompt-tokens 512 --max-new-tokens 64 --min-new-tokens 64 --batch-size 1 --limit 3 \
      --warmup 1 --quiet --out /tmp/rf.json >/dev/null 2>"$OUT/run_err.txt" \
      || { echo "run $config $min_keys failed: $(tail -1 "$OUT/run_err.txt")"; status=1; continue; }
    python3 -c "import json,sys; r=json.load(open('/tmp/rf.json')); r['ab']={'config':sys.argv[1],'min_keys':sys.argv[2]}; print(json.dumps(r))" \
      "$config" "$min_keys" >>"$OUT/runs.jsonl"
  done
done
for min_keys in 256 default; do
  env=()
  [ "$min_keys" != default ] && env=(GPTBENCH_DECODE_MIN_KEYS=$min_keys)
  env "${env[@]}" timeout 90 "$BIN" attn-bench --decode --variants flash --batch 1 8 --heads 12 --head-dim 64 \
    --kv-len 576 4096 32768 --dtype fp16 --min-time-ms 100 --format jsonl --no-progress \
    >"$OUT/attn_decode_d64_$min_keys.jsonl" 2>"$OUT/attn_err.txt" || { tail -2 "$OUT/attn_err.txt"; status=1; }
  env "${env[@]}" timeout 90 "$BIN" attn-bench --decode --variants flash --batch 1 8 --heads 32 --kv-heads 8 \
    --head-dim 128 --kv-len 576 4096 32768 --dtype fp16 --min-time-ms 100 --format jsonl --no-progress \
    >"$OUT/attn_decode_d128_$min_keys.jsonl" 2>"$OUT/attn_err.txt" || { tail -2 "$OUT/attn_err.txt"; status=1; }
done
python3 - "$OUT" <<'PY'
import glob, json, sys
sys.path.insert(0, "scripts/gpu")
from copy_bandwidth import copy_bandwidth
out = sys.argv[1]
bw = copy_bandwidth()
print(f"== graph decode B1, fp16, 512 + 64 tokens (copy bandwidth {bw / 1e12:.2f} TB/s)")
print("| shape | min keys/split | tpot p50 ms | vs floor | attention kernel | linear |")
print("|---|---|---|---|---|---|")
for line in open(f"{out}/runs.jsonl"):
    r = json.loads(line); l = r["latency"]; m = r["memory"]
    floor_ms = m["weights_bytes"] / bw * 1e3
    print(f"| {r['ab']['config']} | {r['ab']['min_keys']} | {l['tpot']['p50']:.4f} | {l['tpot']['p50'] / floor_ms:.2f}x | "
          f"{r['attention']['kernel']} | {(r.get('linear') or {}).get('kernel')} |")
print("== attn-bench decode (flash), µs per call (GB/s of K/V)")
for f in sorted(glob.glob(f"{out}/attn_decode_*.jsonl")):
    for line in open(f):
        try:
            x = json.loads(line)
        except ValueError:
            continue
        if x.get("median_ms") is None:
            continue
        print(f"  {f.split('/')[-1]:28s} B{x['batch']} H{x['heads']}/{x.get('kv_heads') or x['heads']} D{x['head_dim']} "
              f"Tk {x['k_len']:6d}: {x['median_ms'] * 1e3:8.2f} µs ({x.get('kv_gbps', 0):6.0f} GB/s)  {x.get('kernel', '')}")
PY
exit $status
