#!/usr/bin/env bash
# Issue 19's scaling targets for `--variant performer` against flash, ON the GPU machine, after
# `scripts/gpu/check.sh build` in the same warm session (carry [".carry"]); one device call, < 3 minutes.
#   decode memory: the recurrent state (performer) vs the KV cache (flash) at context 1K, 4K, 16K, 64K:
#                  kv_cache bytes and peak allocated of `gptbench run` (synthetic prompt of T-64 tokens,
#                  64 new tokens, batch 1, fp16) on a GPT-2-small shape with n_positions 65536
#                  (random weights from `gptbench init`); the state must not grow with T
#   prefill time:  the same runs' time to first token (p50), which performer keeps linear in T
#   FAVOR+ error:  the approximation-error curve over m (the CPU test's printout)
# Outputs under $OUT/learned/: one report per run (run_<variant>_<T>.json), learned_bench.md (the table).
set -uo pipefail
OUT=${OUT:-/tmp/gptbench_gpu_out}
BUILD=build-gpu
BIN=$BUILD/gptbench
DATA=${GPTBENCH_DATA_DIR:-$PWD/.carry/data}
dir=$OUT/learned model=/tmp/gpt2-64k
mkdir -p "$dir"
[ -x "$BIN" ] || { echo "no $BIN: run scripts/gpu/check.sh build first"; exit 1; }
status=0
cmake --build "$BUILD" --target attention_learned_tests -j 16 >"$dir/build.log" 2>&1 || status=1
"$BUILD/tests/attention/attention_learned_tests" --gtest_filter='Performer.Error*' 2>&1 | grep -E "m=|OK|FAILED" \
  | tee "$dir/favor_error.txt"

if [ ! -f $model/model.safetensors ]; then
  mkdir -p /tmp/gpt2-64k-config
  cat >/tmp/gpt2-64k-config/config.json <<'JSON'
{"model_type": "gpt2", "n_layer": 12, "n_head": 12, "n_embd": 768, "n_positions": 65536, "vocab_size": 50257,
 "bos_token_id": 50256, "eos_token_id": 50256, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5}
JSON
  timeout 120 "$BIN" init --config /tmp/gpt2-64k-config/config.json --seed 0 --out $model --dtype fp16 \
    --tokenizer "$DATA/gpt2_tokenizer" >"$dir/init.log" 2>&1 || { tail -3 "$dir/init.log"; echo "init failed"; exit 1; }
fi

for t in 1024 4096 16384 65536; do
  for v in flash performer; do
    timeout 60 "$BIN" run --model $model --variant $v --dtype fp16 --device cuda --dataset synthetic \
      --prompt-tokens $((t - 64)) --max-new-tokens 64 --min-new-tokens 64 --batch-size 1 --limit 2 --warmup 1 \
      --quiet --out "$dir/run_${v}_$t.json" >/dev/null 2>"$dir/run_err.txt" \
      || { echo "run $v T=$t failed: $(tail -1 "$dir/run_err.txt")"; status=1; }
  done
done

python3 - "$dir" <<'PY' | tee "$dir/learned_bench.md"
import json, os, sys
d = sys.argv[1]
print("| context T | variant | kernel | kv_cache / state MiB | peak allocated MiB | ttft p50 ms | tpot p50 ms |")
print("|---|---|---|---|---|---|---|")
for t in (1024, 4096, 16384, 65536):
    for v in ("flash", "performer"):
        p = f"{d}/run_{v}_{t}.json"
        if not os.path.exists(p):
            print(f"| {t} | {v} | (failed) | | | | |"); continue
        r = json.load(open(p)); m = r["memory"]; l = r["latency"]
        kv = m.get("kv_cache_bytes")
        print(f"| {t} | {v} | {r['attention']['kernel']} | {kv / 2**20 if kv is not None else float('nan'):.1f} | "
              f"{m['peak_allocated_bytes'] / 2**20:.0f} | {l['ttft']['p50']:.2f} | {l['tpot']['p50']:.3f} |")
PY
exit $status
