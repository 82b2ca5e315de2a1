#!/usr/bin/env bash
# LoRA (issue 18) on the GPU machine, from the repo root, after `bash scripts/gpu/check.sh build`
# (build-gpu exists) in the same warm session:
#   1. builds gptbench and the LoRA tests;
#   2. runs lora_tests (CPU unit tests and the fused LoRA node in bf16 on CUDA), train_lora_cli_gpu (bf16
#      LoRA steps on CUDA: the loss falls, the adapter loads in `run` merged and unmerged, lora.base_dtype
#      bf16) and train_graph_cli_gpu (--cuda-graph gives the eager loss curve, full and LoRA);
#   3. `gptbench train`, gpt2 shape (gptbench init --config gpt2), T 1024, bf16, text chunks of WikiText-2,
#      VARIANT (default sdpa), at batch 4 and 16: full fine-tuning vs --lora-rank 16 (all four GPT-2
#      linears), the same flags otherwise, and --lora-rank 16 on an nf4 base (QLoRA) at batch 16;
#      tokens/s, step p50 and peak allocated memory, with the ratios to full fine-tuning (issue targets:
#      LoRA >= 1.3x tokens/s, peak memory <= 0.6x);
#   4. the same runs with --cuda-graph (one captured step replayed: full and LoRA at batch 4 and 16);
#   5. --profile of one step at batch 4, full and LoRA (separate short runs, so that the timed runs carry
#      no profiler overhead): kernel launches per step, the GPU's busy time per step against the
#      unprofiled step p50 (busy << step: the host's dispatch is what the step waits for), the top kernels.
# Reports under $OUT (lora_train_*.json, lora_profile_*.json with the Chrome traces lora_trace_*.json);
# the tables are printed last. < 4 minutes on an H200 (build ~1 min).
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
stage tests lora_ctest.log ctest --test-dir "$BUILD" -R "^Lora\.|^LoraLinear\.|^BrokenAdapter\.|train_lora_cli_gpu|train_graph_cli_gpu" \
  --output-on-failure --timeout 150
grep -E "tests passed|Failed|Not Run|\*\*\*|FAIL|^ok " "$OUT/lora_ctest.log" | head -30

model=/tmp/gpt2-init text=$DATA/wikitext2_raw/wiki.test.raw
[ -f $model/model.safetensors ] || "$BIN" init --config gpt2 --seed 0 --out $model --tokenizer "$DATA/gpt2_tokenizer" >/dev/null
# train NAME MODE BATCH [FLAGS...]: one `gptbench train` into $OUT/lora_train_NAME.json (or lora_profile_NAME.json
# with --profile among FLAGS).
train() {
  local name=$1 mode=$2 batch=$3 report=$OUT/lora_train_$1.json
  shift 3
  local flags=("$@")
  [ "$mode" = lora ] && flags+=(--lora-rank 16 --lora-alpha 32)
  [ "$mode" = qlora ] && flags+=(--lora-rank 16 --lora-alpha 32 --quant nf4)
  [[ " ${flags[*]} " == *" --profile "* ]] && report=$OUT/lora_profile_$name.json
  local err=$OUT/$(basename "$report" .json).err.txt
  timeout 120 "$BIN" train --model $model --dataset text --data-path "$text" --variant "$VARIANT" --allow-variant-change \
    --precision bf16 --device cuda --seq-len 1024 --batch-size "$batch" --warmup-steps 3 --lr 1e-4 \
    --log-interval 10 --timing-skip 5 --eval-samples 4 --out /tmp/lb_$name --report "$report" \
    --quiet "${flags[@]}" 2>"$err" || { echo "train $name failed: $(tail -1 "$err")"; status=1; }
  rm -rf /tmp/lb_$name
}
for run in "full 4" "lora 4" "full 16" "lora 16" "qlora 16"; do
  read -r mode batch <<<"$run"
  train "${mode}_b$batch" "$mode" "$batch" --steps "$STEPS"
done
# The same step captured once as a CUDA graph and replayed (--cuda-graph): what is left once the host's
# dispatch is out of the way.
for run in "full 4" "lora 4" "full 16" "lora 16"; do
  read -r mode batch <<<"$run"
  train "${mode}_b${batch}_graph" "$mode" "$batch" --steps "$STEPS" --cuda-graph
done
# One profiled step (the 6th) at batch 4, full and LoRA.
for mode in full lora; do
  train "${mode}_b4" "$mode" 4 --steps 6 --profile "$OUT/lora_trace_${mode}_b4.json" --profile-steps 1
done
python3 - "$OUT" "$VARIANT" <<'PY'
import json, os, sys
out, variant = sys.argv[1], sys.argv[2]
def load(kind, name):
    p = f"{out}/lora_{kind}_{name}.json"
    r = json.load(open(p)) if os.path.exists(p) else {}
    return r if r.get("status") == "ok" else None
print(f"== gptbench train, gpt2 shape, T=1024, bf16, {variant}: full fine-tuning vs LoRA r16 "
      f"(targets: >= 1.3x tokens/s, <= 0.6x memory; x full: against eager full fine-tuning at the batch, "
      f"x same: against full fine-tuning run the same way, eager or --cuda-graph)")
print(f"  {'run':16s} {'tokens/s':>10s} {'x full':>7s} {'x same':>7s} {'p50 ms':>7s} {'peak MiB':>9s} {'x full':>7s} "
      f"{'trained':>11s} {'base':>5s} {'final loss':>10s}")
for batch in (4, 16):
    full = load("train", f"full_b{batch}")
    for mode in ("full", "lora", "qlora", "full+graph", "lora+graph"):
        name = f"{mode.split('+')[0]}_b{batch}" + ("_graph" if "+graph" in mode else "")
        same = load("train", f"full_b{batch}" + ("_graph" if "+graph" in mode else ""))
        r = load("train", name)
        if r is None:
            if mode != "qlora" or batch == 16:
                print(f"  {name}: failed or missing")
            continue
        tps, mem = r["throughput"]["tokens_per_s"], r["memory"]["peak_allocated_bytes"] / 2**20
        rt = tps / full["throughput"]["tokens_per_s"] if full else float("nan")
        rs = tps / same["throughput"]["tokens_per_s"] if same else float("nan")
        rm = mem / (full["memory"]["peak_allocated_bytes"] / 2**20) if full else float("nan")
        base = (r.get("lora") or {}).get("base_dtype") or ("-" if mode.startswith("full") else "fp32")
        print(f"  {name:16s} {tps:10.0f} {rt:7.2f} {rs:7.2f} {r['throughput']['step_ms']['p50']:7.1f} "
              f"{mem:9.0f} {rm:7.2f} {r['model']['trained_parameters']:11d} {base:>5s} "
              f"{r['training']['final_train_loss']:10.4f}")

print("== --profile of one step at batch 4 (CUDA kernels under CUPTI; p50 from the unprofiled runs above)")
print(f"  {'run':10s} {'launches':>9s} {'kernel ms':>10s} {'wall ms':>8s} {'p50 ms':>7s} {'GPU busy':>9s}")
for mode in ("full", "lora"):
    r, timed = load("profile", f"{mode}_b4"), load("train", f"{mode}_b4")
    if r is None or not r.get("profile"):
        print(f"  {mode}_b4: profile failed or missing")
        continue
    p = r["profile"]
    steps = p["steps"]["last"] - p["steps"]["first"] + 1
    t = p["totals"]
    kernel_ms, wall_ms = t["total_us"] / 1000 / steps, t["wall_us"] / 1000 / steps
    p50 = timed["throughput"]["step_ms"]["p50"] if timed else float("nan")
    print(f"  {mode + '_b4':10s} {t['calls'] // steps:9d} {kernel_ms:10.2f} {wall_ms:8.2f} {p50:7.2f} "
          f"{kernel_ms / p50:9.0%}")
    if kernel_ms < 0.7 * p50:
        print(f"    -> host-bound: the GPU runs kernels {kernel_ms:.1f} ms of a {p50:.1f} ms step")
    for row in p["top"][:12]:
        print(f"    {row['calls']:5d} x {row['total_us'] / 1000 / steps:7.3f} ms {row['percent']:5.1f}%  {row['name'][:90]}")
PY
echo "lora_bench.sh status $status"
exit $status
