#!/usr/bin/env bash
# `gptbench train` on the GPU machine (device tool, carry [".carry"] after scripts/gpu/prepare_carry.sh
# here; run `bash scripts/gpu/check.sh build` first in the same call). Stages:
#   scripts/gpu/train.sh test      gpu-labelled train tests (flash-autograd grads on CUDA, bf16/fp16 CLI, OOM)
#   scripts/gpu/train.sh bench     throughput: gpt2 shape (gptbench init --config gpt2), T=1024, bf16,
#                                  text chunks of WikiText-2; sdpa at several batch sizes, standard, flash
#                                  (BENCH_LOSS=reference: the old fp32-logits loss instead of the fused one)
#   scripts/gpu/train.sh quality   6-layer 384-wide GPT-2 (configs/train/gpt2-6l-384.json) trained from
#                                  scratch for standard / alibi / sparse semantics (stage 0: language model
#                                  on CNN/DailyMail articles + highlights, CNN_STEPS; stage 1: on news_summary
#                                  prompt + summary, PRE_STEPS; stage 2: the summary tokens only, FT_STEPS),
#                                  then `gptbench run` on the news_summary test split (sdpa and the flash
#                                  variant of the same semantics) vs the untrained model and lead-64
# Reports go under $OUT; a short table is printed last.
set -uo pipefail
STAGE=${1:-bench}
OUT=${OUT:-/tmp/gptbench_gpu_out}
mkdir -p "$OUT"
BUILD=build-gpu
DATA=$PWD/.carry/data
BIN=$BUILD/gptbench
export PYTHONUNBUFFERED=1 GPTBENCH_DATA_DIR=$DATA GPTBENCH_BIN=$PWD/$BIN
status=0

quick_build() {
  local prefix t0=$(date +%s)
  prefix=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" -DGPTBENCH_PYTHON="$(command -v python3)" \
    -DCMAKE_CUDA_ARCHITECTURES=90a -DGPTBENCH_DATA_DIR="$DATA" >"$OUT/build.log" 2>&1 &&
    cmake --build "$BUILD" -j 16 --target gptbench dataset_dump >>"$OUT/build.log" 2>&1 ||
    { grep -E "error" -A3 "$OUT/build.log" | head -20; echo "BUILD FAILED"; return 1; }
  echo "quick build (gptbench, dataset_dump): $(( $(date +%s) - t0 )) s"
}

tests() {
  (cd "$BUILD" && timeout 300 ctest -R "train" -L gpu --output-on-failure -j 1) >"$OUT/train_ctest_gpu.log" 2>&1 || status=1
  grep -E "tests passed|Failed|Not Run|\*\*\*|FAIL" "$OUT/train_ctest_gpu.log" | head -20
}

bench() {
  local model=/tmp/gpt2-init text=$DATA/wikitext2_raw/wiki.test.raw
  [ -f $model/model.safetensors ] || "$BIN" init --config gpt2 --seed 0 --out $model --tokenizer "$DATA/gpt2_tokenizer" >/dev/null
  # TRAIN_BENCH: variant:batch pairs.
  for vb in ${TRAIN_BENCH:-sdpa:8 sdpa:16 sdpa:32 standard:16 flash:16 flash+alibi:16 flash+sparse:16}; do
    set -- ${vb/:/ }
    local name="${1//+/_}_b$2"
    timeout 150 "$BIN" train --model $model --dataset text --data-path "$text" --variant "$1" --precision bf16 \
      --device cuda --seq-len 1024 --batch-size "$2" --steps ${BENCH_STEPS:-30} --warmup-steps 3 --log-interval 10 \
      --timing-skip 5 --eval-samples 4 --out /tmp/tb --report "$OUT/train_bench_$name.json" --quiet \
      ${BENCH_LOSS:+--loss $BENCH_LOSS} 2>"$OUT/err_$name.txt" || { echo "train $1 B$2 failed: $(tail -1 "$OUT/err_$name.txt")"; status=1; }
    rm -rf /tmp/tb
  done
  python3 - "$OUT" <<'PY'
import glob, json, sys
print("== gptbench train, gpt2 shape (124M), T=1024, bf16 autocast, WikiText-2 test text")
for f in sorted(glob.glob(f"{sys.argv[1]}/train_bench_*.json")):
    r = json.load(open(f))
    if r.get("status") != "ok":
        print(f"  {f.split('/')[-1]}: {r.get('error')}"); continue
    t, m, a = r["throughput"], r["mfu"], r["attention"]
    print(f"  {a['variant']:14s} B{r['config']['batch_size']:<3d} step p50 {t['step_ms']['p50']:7.1f} ms "
          f"{t['tokens_per_s']/1e3:6.1f}K tok/s ({t['tokens_per_s']/470e3:.2f} x llm.c 470K) "
          f"MFU {100*(m['mfu'] or 0):4.1f}%  peak {r['memory']['peak_allocated_bytes']/2**30:5.1f} GiB  "
          f"loss {r['training']['final_train_loss']:.3f}  [{a['kernel']} / {a['backward']} / "
          f"{r['training'].get('loss_impl', 'reference')}]")
PY
}

quality() {
  local q=/tmp/q tok=$DATA/gpt2_tokenizer limit=${QUALITY_LIMIT:-443}
  # The build: `check.sh build`, or only what this stage needs (QUICK_BUILD=1).
  [ -n "${QUICK_BUILD:-}" ] && { quick_build || return 1; }
  mkdir -p $q
  "$BIN" init --config configs/train/gpt2-6l-384.json --seed 0 --out $q/init --tokenizer "$tok" >/dev/null
  "$BIN" run --model $q/init --variant sdpa --dtype bf16 --device cuda --split test --limit $limit --batch-size 32 \
    --max-new-tokens 64 --quiet --out "$OUT/quality_untrained.json" >/dev/null || status=1
  python3 scripts/lead_n_baseline.py --dump $BUILD/tests/data/dataset_dump --tokenizer "$tok" --tokens 64 \
    --data-dir "$DATA" --split test --limit $limit --predictions $q/lead.jsonl --references $q/ref.jsonl \
    && "$BIN" score --predictions $q/lead.jsonl --references $q/ref.jsonl --json >"$OUT/quality_lead64.json" || status=1
  # Stage 0's text: both shared CNN/DailyMail files as one JSONL (ids are unique across them), which
  # `train` hash-splits (seed 0: 7,074 train rows; docs/datasets.md). Lowercased, tokenized news: more
  # English news than news_summary's ~3,500 training articles, and no overlap with its test split.
  local cnn=$q/cnn_test_and_validation.jsonl
  python3 -c 'import lzma, sys; sys.stdout.buffer.write(b"".join(lzma.open(f).read() for f in sys.argv[1:]))' \
    "$DATA"/cnn_dailymail/see2017_tok_lower/{test,validation}.partial.jsonl.xz >"$cnn" || status=1
  for v in ${QUALITY_VARIANTS:-sdpa sdpa+alibi sdpa+sparse}; do
    local name=${v//+/_} common="--variant $v --precision bf16 --device cuda --seq-len 512 --batch-size 32 --quiet"
    [ "$v" != "${v%sparse}" ] && common="$common --window 128"
    local start=$q/init
    if [ "${CNN_STEPS:-1000}" -gt 0 ]; then
      timeout 280 "$BIN" train --model $q/init $common --dataset cnn_dailymail --data-path "$cnn" --loss-on all \
        --steps ${CNN_STEPS:-1000} --warmup-steps 50 --lr 1e-3 --eval-interval ${CNN_EVAL:-500} --eval-samples 128 \
        --log-interval 100 --out $q/$name-cnn --report "$OUT/quality_train_${name}_cnn.json" 2>"$OUT/err_q_$name.txt" \
        || { tail -2 "$OUT/err_q_$name.txt"; status=1; continue; }
      start=$q/$name-cnn
    fi
    # Stage 1: language modelling on prompt + summary (--loss-on all: the article, "TL;DR:" and the
    # summary); stage 2 (FT_STEPS > 0): the loss on the summary tokens only.
    timeout 280 "$BIN" train --model $start $common --loss-on all --steps ${PRE_STEPS:-600} --warmup-steps 50 \
      --lr ${PRE_LR:-1e-3} --eval-interval ${PRE_EVAL:-300} --eval-samples 128 --log-interval 100 --out $q/$name-pre \
      --report "$OUT/quality_train_${name}_pre.json" 2>>"$OUT/err_q_$name.txt" || { tail -2 "$OUT/err_q_$name.txt"; status=1; continue; }
    local final=$q/$name-pre
    if [ "${FT_STEPS:-300}" -gt 0 ]; then
      timeout 200 "$BIN" train --model $q/$name-pre $common --loss-on summary --steps ${FT_STEPS:-300} --warmup-steps 20 \
        --lr 3e-4 --eval-interval ${FT_EVAL:-100} --eval-samples 128 --log-interval 100 --out $q/$name-ft \
        --report "$OUT/quality_train_${name}_ft.json" 2>>"$OUT/err_q_$name.txt" || { tail -2 "$OUT/err_q_$name.txt"; status=1; continue; }
      final=$q/$name-ft
    fi
    # The checkpoint as trained (sdpa kernels), then through our flash kernels with the same semantics:
    # the scores must agree (bf16 rounding flips near-tied greedy tokens, so predictions may differ).
    for ev in $v ${v/sdpa/flash}; do
      "$BIN" run --model $final --variant $ev $( [ "$v" != "${v%sparse}" ] && echo --window 128 ) \
        --dtype bf16 --device cuda --split test --limit $limit --batch-size 32 --max-new-tokens 64 --quiet \
        --predictions "$OUT/quality_pred_${ev//+/_}.jsonl" --out "$OUT/quality_run_${ev//+/_}.json" >/dev/null || status=1
    done
  done
  python3 - "$OUT" <<'PY'
import glob, json, sys
out = sys.argv[1]
def row(label, q):
    print(f"  {label:26s} R1 {q['rouge1']['fmeasure']:.4f}  R2 {q['rouge2']['fmeasure']:.4f}  "
          f"RL {q['rougeL']['fmeasure']:.4f}  BLEU {q['bleu']['score']:.2f}")
print("== news_summary test split, greedy 64 tokens: trained 6L-384 models vs untrained and lead-64")
try: row("lead-64 (first 64 tokens)", json.load(open(f"{out}/quality_lead64.json")))
except Exception as e: print("  lead-64:", e)
for f in [f"{out}/quality_untrained.json"] + sorted(glob.glob(f"{out}/quality_run_*.json")):
    try:
        r = json.load(open(f)); row(("untrained " if "untrained" in f else "trained ") + r["attention"]["variant"], r["quality"])
    except Exception as e: print(" ", f, e)
for f in sorted(glob.glob(f"{out}/quality_train_*.json")):
    r = json.load(open(f))
    if r.get("status") != "ok":
        print(f"  {f.split('/')[-1]}: {r.get('error')}"); continue
    t = r["training"]; ev = t["evaluations"]
    print(f"  {f.split('/')[-1]:38s} steps {t['last_step']:5d} epochs {t['epochs']:.1f} train {t['final_train_loss']:.3f} "
          f"val {ev[-1]['val_loss'] if ev else float('nan'):.3f}  {r['throughput']['tokens_per_s']/1e3:.0f}K tok/s "
          f"{sum(r['throughput']['step_ms']['samples'])/1e3:.0f} s")
PY
}

case "$STAGE" in
  test) tests ;;
  bench) bench ;;
  quality) quality ;;
  *) echo "usage: $0 test|bench|quality"; exit 2 ;;
esac
exit $status
