#!/usr/bin/env bash
# LoRA (issue 18) on the GPU machine, from the repo root, after `bash scripts/gpu/check.sh build`
# (build-gpu exists) in the same warm session:
#   1. builds gptbench and the LoRA tests;
#   2. runs lora_tests (CPU unit tests, also a smoke test of the build) and train_lora_cli_gpu (bf16 LoRA
#      steps on CUDA: the loss falls, the adapter loads in `run` merged and unmerged);
#   3. `gptbench train`, gpt2 shape (gptbench init --config gpt2), T 1024, bf16, text chunks of WikiText-2,
#      VARIANT (default sdpa), at batch 4 and 16: full fine-tuning vs --lora-rank 16 (all four GPT-2
#      linears), the same flags otherwise, and --lora-rank 16 on an nf4 base (QLoRA) at batch 16;
#      tokens/s and peak allocated memory, with the ratios to full fine-tuning (issue targets: LoRA
#      >= 1.3x tokens/s, peak memory <= 0.6x).
# Reports under $OUT; the table is printed last. < 4 minutes on an H200 (build ~1 min).
set -uo pipefail
VARIANT=${VARIANT:-sdpa} STEPS=${BENCH_STEPS:-20} BUILD=build-gpu
BIN=$BUILD/gptbench DATA=${GPTBENCH_DATA_DIR:-$PWD/.carry/data} OUT=${OUT:-/tmp/gptbench_gpu_out}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 GPTBENCH_DATA_DIR=$DATA
status=0
[ -d "$BUILD" ] || { echo "no $BUILD: run 'bash scripts/gpu/check.sh build' first"; exit 1; }

# Stage NAME LOG COMMAND...: runs COMMAND into $OUT/LOG, prints its seconds; a failure sets status.
stage() {
  local name=$1 log=$OUT/$2 t0=$(date +%s)
  shift 2
  "$@" >"$log" 2>&1 || { echo "$name FAILED (log: $log)"; status=1; }
  echo "$name: $(( $(date +%s) - t0 )) s"
}
stage build lora_build.log cmake --build "$BUILD" -j 16 --target gptbench lora_tests
[ $status -eq 0 ] || { grep -E "error" -A3 "$OUT/lora_build.log" | head -40; exit 1; }
stage tests lora_ctest.log ctest --test-dir "$BUILD" -R "^Lora\.|^BrokenAdapter\.|train_lora_cli_gpu" \
  --output-on-failure --timeout 150
grep -E "tests passed|Failed|Not Run|\*\*\*|FAIL|^ok " "$OUT/lora_ctest.log" | head -30

model=/tmp/gpt2-init text=$DATA/wikitext2_raw/wiki.test.raw
[ -f $model/model.safetensors ] || "$BIN" init --config gpt2 --seed 0 --out $model --tokenizer "$DATA/gpt2_tokenizer" >/dev/null
for run in "full 4" "lora 4" "full 16" "lora 16" "qlora 16"; do
  read -r mode batch <<<"$run"
  flags=()
  [ "$mode" = lora ] && flags=(--lora-rank 16 --lora-alpha 32)
  [ "$mode" = qlora ] && flags=(--lora-rank 16 --lora-alpha 32 --quant nf4)
  name="${mode}_b$batch"
  timeout 120 "$BIN" train --model $model --dataset text --data-path "$text" --variant "$VARIANT" --allow-variant-change \
    --precision bf16 --device cuda --seq-len 1024 --batch-size "$batch" --steps "$STEPS" --warmup-steps 3 --lr 1e-4 \
    --log-interval 10 --timing-skip 5 --eval-samples 4 --out /tmp/lb_$name --report "$OUT/lora_train_$name.json" \
    --quiet "${flags[@]}" 2>"$OUT/lora_train_err_$name.txt" ||
    { echo "train $run failed: $(tail -1 "$OUT/lora_train_err_$name.txt")"; status=1; }
  rm -rf /tmp/lb_$name
done
python3 - "$OUT" "$VARIANT" <<'PY'
import json, os, sys
out, variant = sys.argv[1], sys.argv[2]
def load(name):
    p = f"{out}/lora_train_{name}.json"
    r = json.load(open(p)) if os.path.exists(p) else {}
    return r if r.get("status") == "ok" else None
print(f"== gptbench train, gpt2 shape, T=1024, bf16, {variant}: full fine-tuning vs LoRA r16 (targets: >= 1.3x tokens/s, <= 0.6x memory)")
print(f"  {'run':10s} {'tokens/s':>10s} {'x full':>7s} {'peak MiB':>9s} {'x full':>7s} {'trained':>11s} {'final loss':>10s}")
for batch in (4, 16):
    full = load(f"full_b{batch}")
    for mode in ("full", "lora", "qlora"):
        r = load(f"{mode}_b{batch}")
        if r is None:
            if os.path.exists(f"{out}/lora_train_{mode}_b{batch}.json") or mode != "qlora" or batch == 16:
                print(f"  {mode}_b{batch}: failed or missing")
            continue
        tps, mem = r["throughput"]["tokens_per_s"], r["memory"]["peak_allocated_bytes"] / 2**20
        rt = tps / full["throughput"]["tokens_per_s"] if full else float("nan")
        rm = mem / (full["memory"]["peak_allocated_bytes"] / 2**20) if full else float("nan")
        print(f"  {mode + '_b' + str(batch):10s} {tps:10.0f} {rt:7.2f} {mem:9.0f} {rm:7.2f} "
              f"{r['model']['trained_parameters']:11d} {r['training']['final_train_loss']:10.4f}")
PY
echo "lora_bench.sh status $status"
exit $status
