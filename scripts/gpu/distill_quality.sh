#!/usr/bin/env bash
# Issues 19 and 18: the quality of distilled students, in one table. ON the GPU machine from the repo root,
# after `bash scripts/gpu/check.sh build` (or as a stage: `bash scripts/gpu/batch.sh 560 build:240
# distill_quality:420`), carry [".carry"]; about 4 minutes on an H200 (230 s measured).
#   1. The teacher: train.sh quality's 6-layer 384-wide GPT-2 (configs/train/gpt2-6l-384.json) and recipe,
#      sdpa, from `gptbench init --seed 0`: CNN/DailyMail language model (TEACHER_CNN_STEPS), news_summary
#      prompt + summary (TEACHER_PRE_STEPS), the summary tokens (TEACHER_FT_STEPS).
#   2. Students, each started from the teacher's weights and trained STUDENT_STEPS steps on news_summary
#      (every token) with `gptbench train --distill-from TEACHER` (alpha 0.5, T 2): standard (sdpa),
#      ALiBi (sdpa+alibi), window W 128 (flash+sparse), maskmix, performer, nsa (NSA_FLAGS: sizes that make
#      it sparse at T 512). Issue 18's pair: the same window model trained without the teacher
#      (`--distill-alpha 0`: plain training that still reports the KL to the teacher).
#   3. KL to the teacher: each student's final validation KL (`train`'s `val_kl`: per counted token,
#      KL(teacher || student) at T 1, on news_summary validation samples). ROUGE: `gptbench run` on the
#      news_summary test split (QUALITY_LIMIT samples, greedy 64 tokens), each student under its variant
#      alone (a learned variant's sizes come from its config.json).
# Outputs under $OUT: train and run reports, stderr logs, distill_quality.md (the table, printed last).
# On the CPU (a check of the commands and flags): DEVICE=cpu BIN=build/gptbench CONFIG=<small config.json>
# WINDOW_VARIANT=sdpa+sparse SEQ_LEN=64 BATCH=2 ... with tiny step counts.
set -uo pipefail
OUT=${OUT:-/tmp/gptbench_gpu_out}
BIN=${BIN:-build-gpu/gptbench}
DATA=${GPTBENCH_DATA_DIR:-$PWD/.carry/data}
DEVICE=${DEVICE:-cuda}
CONFIG=${CONFIG:-configs/train/gpt2-6l-384.json}
TEACHER_CNN_STEPS=${TEACHER_CNN_STEPS:-1000}
TEACHER_PRE_STEPS=${TEACHER_PRE_STEPS:-600}
TEACHER_FT_STEPS=${TEACHER_FT_STEPS:-300}
STUDENT_STEPS=${STUDENT_STEPS:-200}
STUDENT_CAP=${STUDENT_CAP:-100}  # seconds per student's training
QUALITY_LIMIT=${QUALITY_LIMIT:-200}
SEQ_LEN=${SEQ_LEN:-512}
BATCH=${BATCH:-32}
WINDOW_VARIANT=${WINDOW_VARIANT:-flash+sparse}
NSA_FLAGS=${NSA_FLAGS:---nsa-block 32 --nsa-stride 16 --nsa-select-block 32 --nsa-topk 4 --nsa-window 128}
export GPTBENCH_DATA_DIR=$DATA PYTHONUNBUFFERED=1
mkdir -p "$OUT"
[ -x "$BIN" ] || { echo "no $BIN: run scripts/gpu/check.sh build first"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
if [ "$DEVICE" = cpu ]; then precision=fp32; dtype=fp32; else precision=bf16; dtype=bf16; fi
common=(--precision $precision --device "$DEVICE" --seq-len "$SEQ_LEN" --batch-size "$BATCH" --quiet)

# Warm-up steps: $2, or half the run when it is shorter (tiny CPU checks).
warmup() { echo $(( $2 < $1 ? $2 : $1 / 2 )); }

# $1 name, the rest: train flags. Failure leaves a line in the log and no report.
train() {
  local name=$1 cap=$2
  shift 2
  timeout "$cap" "$BIN" train "$@" "${common[@]}" --out "$work/$name" --report "$OUT/train_$name.json" \
    2>"$OUT/err_train_$name.txt" || { echo "train $name failed: $(tail -1 "$OUT/err_train_$name.txt")"; status=1; return 1; }
}

# 1. The teacher (sdpa), train.sh quality's three stages.
t0=$(date +%s)
"$BIN" init --config "$CONFIG" --seed 0 --out "$work/init" --tokenizer "$DATA/gpt2_tokenizer" >/dev/null || exit 1
teacher=$work/init
if [ "$TEACHER_CNN_STEPS" -gt 0 ]; then
  cnn=$work/cnn_test_and_validation.jsonl  # both shared CNN/DailyMail files as one JSONL, as train.sh has it
  python3 -c 'import lzma, sys; sys.stdout.buffer.write(b"".join(lzma.open(f).read() for f in sys.argv[1:]))' \
    "$DATA"/cnn_dailymail/see2017_tok_lower/{test,validation}.partial.jsonl.xz >"$cnn" || exit 1
  train teacher_cnn 280 --model "$teacher" --variant sdpa --dataset cnn_dailymail --data-path "$cnn" --loss-on all \
    --steps "$TEACHER_CNN_STEPS" --warmup-steps "$(warmup "$TEACHER_CNN_STEPS" 50)" --lr 1e-3 --eval-samples 128 --log-interval 100 || exit 1
  teacher=$work/teacher_cnn
fi
train teacher_pre 280 --model "$teacher" --variant sdpa --loss-on all --steps "$TEACHER_PRE_STEPS" --warmup-steps "$(warmup "$TEACHER_PRE_STEPS" 50)" \
  --lr 1e-3 --eval-samples 128 --log-interval 100 || exit 1
teacher=$work/teacher_pre
if [ "$TEACHER_FT_STEPS" -gt 0 ]; then
  train teacher_ft 200 --model "$teacher" --variant sdpa --loss-on summary --steps "$TEACHER_FT_STEPS" \
    --warmup-steps "$(warmup "$TEACHER_FT_STEPS" 20)" --lr 3e-4 --eval-samples 128 --log-interval 100 || exit 1
  teacher=$work/teacher_ft
fi
echo "teacher: $(( $(date +%s) - t0 )) s"

# 2. Students: name, variant, teacher weight alpha, extra flags (train and run).
students=(
  "standard|sdpa|0.5|"
  "alibi|sdpa+alibi|0.5|"
  "window|$WINDOW_VARIANT|0.5|--window 128"
  "window_no_teacher|$WINDOW_VARIANT|0|--window 128"
  "maskmix|maskmix|0.5|"
  "performer|performer|0.5|"
  "nsa|nsa|0.5|$NSA_FLAGS"
)
for row in "${students[@]}"; do
  IFS='|' read -r name variant alpha extra <<<"$row"
  t0=$(date +%s)
  # shellcheck disable=SC2086
  train "student_$name" "$STUDENT_CAP" --model "$teacher" --variant "$variant" $extra --allow-variant-change \
    --distill-from "$teacher" --distill-alpha "$alpha" --loss-on all --steps "$STUDENT_STEPS" --warmup-steps "$(warmup "$STUDENT_STEPS" 20)" \
    --lr 3e-4 --eval-samples 128 --log-interval 50 || continue
  echo "student $name: $(( $(date +%s) - t0 )) s"
done

# 3. ROUGE: the teacher and each student under its variant (the learned ones without their size flags).
rouge() {
  local name=$1 model=$2
  shift 2
  timeout 150 "$BIN" run --model "$model" "$@" --dtype $dtype --device "$DEVICE" --split test --limit "$QUALITY_LIMIT" \
    --batch-size 32 --max-new-tokens 64 --quiet --out "$OUT/run_$name.json" >/dev/null 2>"$OUT/err_run_$name.txt" \
    || { echo "run $name failed: $(tail -1 "$OUT/err_run_$name.txt")"; status=1; }
}
rouge teacher "$teacher" --variant sdpa
for row in "${students[@]}"; do
  IFS='|' read -r name variant alpha extra <<<"$row"
  [ -f "$work/student_$name/model.safetensors" ] || continue
  run_flags=(--variant "$variant")
  [ "$extra" = "--window 128" ] && run_flags+=(--window 128)
  rouge "$name" "$work/student_$name" "${run_flags[@]}"
done

python3 - "$OUT" "$(basename "$CONFIG" .json)" "$DEVICE" "$STUDENT_STEPS" "$QUALITY_LIMIT" "$TEACHER_CNN_STEPS" "$TEACHER_PRE_STEPS" \
  "$TEACHER_FT_STEPS" "$NSA_FLAGS" <<'PY' | tee "$OUT/distill_quality.md"
import json, os, sys
out, config, device, steps, limit, cnn, pre, ft, nsa_flags = sys.argv[1:10]
def load(path):
    try:
        r = json.load(open(path))
        return r if r.get("status", "ok") == "ok" else None
    except (OSError, ValueError):
        return None
names = ["teacher", "standard", "alibi", "window", "window_no_teacher", "maskmix", "performer", "nsa"]
print(f"## Distillation from a trained GPT-2 teacher ({config}, {device})")
print(f"Teacher: sdpa, {cnn} CNN/DM + {pre} news LM + {ft} summary steps (train.sh quality's recipe); students start "
      f"from its weights, {steps} steps on news_summary (every token), KL weight 0.5 at T 2 (window_no_teacher: 0); "
      f"KL to the teacher: the final validation KL (nats per token); ROUGE: {limit} news_summary test samples, "
      f"greedy 64 tokens. nsa sizes: {nsa_flags}.")
print()
print("| model | variant | KL to teacher | val CE | ROUGE-1 | ROUGE-2 | ROUGE-L | attention kernel (run) | timed train s |")
print("|---|---|---|---|---|---|---|---|---|")
rows = {}
for n in names:
    t = load(f"{out}/train_student_{n}.json") if n != "teacher" else None
    r = load(f"{out}/run_{n}.json")
    kl = 0.0 if n == "teacher" else None  # the teacher's CE is on other tokens (its last stage: summaries)
    ce = None
    if t:
        ev = t["training"]["evaluations"]
        ce = ev[-1]["val_loss"] if ev else None
        kl = ev[-1].get("val_kl") if ev else None
    q = r["quality"] if r else None
    rows[n] = (kl, q)
    fmt = lambda x, f: "" if x is None else format(x, f)
    secs = sum(t["throughput"]["step_ms"]["samples"]) / 1e3 if t and t["throughput"]["step_ms"].get("samples") else None
    print(f"| {n} | {r['attention']['variant'] if r else (t['attention']['variant'] if t else '(failed)')} | {fmt(kl, '.4f')} | "
          f"{fmt(ce, '.3f')} | {fmt(q and q['rouge1']['fmeasure'], '.4f')} | {fmt(q and q['rouge2']['fmeasure'], '.4f')} | "
          f"{fmt(q and q['rougeL']['fmeasure'], '.4f')} | {r['attention']['kernel'][:64] if r else ''} | {fmt(secs, '.0f')} |")
kd, qd = rows["window"]
kp, qp = rows["window_no_teacher"]
_, qt = rows["teacher"]
if kd is not None and kp is not None:
    print(f"\nIssue 18, window W 128: KL to the teacher {kd:.4f} distilled vs {kp:.4f} without it "
          f"({'falls' if kd < kp else 'does NOT fall'}).", end="")
    if qd and qp and qt:
        rl = lambda q: q["rougeL"]["fmeasure"]
        toward = abs(rl(qd) - rl(qt)) < abs(rl(qp) - rl(qt))
        print(f" ROUGE-L {rl(qd):.4f} distilled, {rl(qp):.4f} without, teacher {rl(qt):.4f}: "
              f"{'moves toward' if toward else 'does not move toward'} the teacher's.")
    else:
        print()
PY
exit $status
