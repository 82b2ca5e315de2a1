#!/usr/bin/env bash
# Our fused flash backward (issue 21) on the GPU machine, from the repo root, after
# `bash scripts/gpu/check.sh build` (build-gpu exists) in the same warm session:
#   1. builds only its targets (the op library, gptbench, the backward GPU test and the autograd test);
#   2. runs the backward GPU test (dQ/dK/dV vs fp64 and SDPA, every policy; ~1 min) and the flash
#      autograd test on CUDA (which must now name flash_bwd_sm80_* as the backward);
#   3. attn-bench --backward (when built: fwd+bwd, causal/ALiBi/window, B4 T4096 and B16 T1024, H12 D64,
#      bf16 and fp16, SDPA's backends as peers in the same call);
#   4. `gptbench train`, gpt2 shape, T 1024, bf16, a few steps: --variant flash (our backward) vs sdpa,
#      and flash with --deterministic, tokens/s.
# Logs and JSON under $OUT; a short summary last. Total < 4 minutes on an H200 (build ~1 min).
# shellcheck source=scripts/gpu/session_env.sh
. scripts/gpu/session_env.sh  # OUT, BUILD, DATA, BIN, status, build_targets
build_targets "$OUT/flash_bwd_build.log" gptbench flash_backward_gpu_test attention_flash_autograd_tests

t0=$(date +%s)
(cd "$BUILD" && timeout 240 ctest -R "FlashBackwardGpu\.|attention_flash_autograd_cuda" --output-on-failure -j 1) \
  >"$OUT/flash_bwd_ctest.log" 2>&1 || status=1
grep -E "tests passed|Failed|Not Run|\*\*\*|seed=|ours .* sdpa|Expected|Which is" "$OUT/flash_bwd_ctest.log" | head -40
echo "tests: $(( $(date +%s) - t0 )) s"

if "$BIN" attn-bench --help 2>/dev/null | grep -q -- "--backward"; then
  for dt in bf16 fp16; do
    for shape in "4 4096" "16 1024"; do
      set -- $shape
      timeout 60 "$BIN" attn-bench --backward --device cuda --dtype $dt --batch $1 --seq $2 --heads 12 --head-dim 64 \
        --variants flash,flash+alibi,flash+sparse,sdpa-flash,sdpa-cudnn,sdpa-efficient,sdpa+alibi,sdpa+sparse \
        --window 256 --min-runs 10 --max-time 2 \
        --out "$OUT/attn_bench_bwd_${dt}_b$1_t$2.json" --format md >"$OUT/attn_bench_bwd_${dt}_b$1_t$2.md" 2>"$OUT/attn_bench_bwd_${dt}_b$1_t$2.err" \
        || { echo "attn-bench --backward $dt B$1 T$2 failed: $(tail -1 "$OUT/attn_bench_bwd_${dt}_b$1_t$2.err")"; status=1; }
      cat "$OUT/attn_bench_bwd_${dt}_b$1_t$2.md"
    done
  done
else
  echo "attn-bench has no --backward in $BIN (stale build?)"; status=1
fi

model=/tmp/gpt2-init text=$DATA/wikitext2_raw/wiki.test.raw
[ -f $model/model.safetensors ] || "$BIN" init --config gpt2 --seed 0 --out $model --tokenizer "$DATA/gpt2_tokenizer" >/dev/null
for run in "sdpa" "flash" "flash+alibi" "flash --deterministic"; do
  read -r variant flag <<<"$run"
  name="${variant//+/_}${flag:+_det}"
  timeout 90 "$BIN" train --model $model --dataset text --data-path "$text" --variant "$variant" $flag --precision bf16 \
    --device cuda --seq-len 1024 --batch-size 16 --steps ${BENCH_STEPS:-20} --warmup-steps 3 --log-interval 10 \
    --timing-skip 5 --eval-samples 4 --out /tmp/tb_$name --report "$OUT/flash_bwd_train_$name.json" --quiet \
    2>"$OUT/flash_bwd_train_err_$name.txt" || { echo "train $run failed: $(tail -1 "$OUT/flash_bwd_train_err_$name.txt")"; status=1; }
  rm -rf /tmp/tb_$name
done
python3 - "$OUT" <<'PY'
import glob, json, sys
print("== gptbench train, gpt2 shape, T=1024, B16, bf16 (tokens/s; the backward kernel that ran)")
for f in sorted(glob.glob(f"{sys.argv[1]}/flash_bwd_train_*.json")):
    r = json.load(open(f))
    if r.get("status") != "ok":
        print(f"  {f.split('/')[-1]}: {r.get('error')}"); continue
    t, a, tr = r["throughput"], r.get("attention", {}), r["training"]
    print(f"  {f.split('/')[-1]:40s} tokens/s {t['tokens_per_s']:.0f}  kernel {a.get('kernel')}  "
          f"backward {a.get('backward')}  final loss {tr['final_train_loss']:.4f}")
PY
echo "flash_bwd.sh status $status"
exit $status
