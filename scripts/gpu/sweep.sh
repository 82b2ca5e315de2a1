#!/usr/bin/env bash
# The sample GPU sweep (configs/sweeps/sample_gpu.json), run ON the GPU machine from the repo root
# after `scripts/gpu/check.sh build` (it uses build-gpu/gptbench) in the same warm session:
#   scripts/gpu/sweep.sh
# gpt2-shape random weights at /tmp/gpt2-init (made here as check.sh's bench makes them, if missing).
# Writes $OUT/sweep.jsonl, $OUT/sweep.md and $OUT/sweep.csv; prints the markdown table. A rerun
# resumes the same $OUT/sweep.jsonl (only cells without a line run). About 3-4 minutes on an H100.
set -uo pipefail
OUT=${OUT:-/tmp/gptbench_gpu_out}
mkdir -p "$OUT"
BIN=build-gpu/gptbench
DATA=$PWD/.carry/data
MODEL=/tmp/gpt2-init
[ -x "$BIN" ] || { echo "no $BIN: run scripts/gpu/check.sh build first"; exit 1; }
[ -f $MODEL/model.safetensors ] || "$BIN" init --config gpt2 --seed 0 --out $MODEL --tokenizer "$DATA/gpt2_tokenizer" >/dev/null
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/sweep_gpu.txt"
t0=$(date +%s)
timeout ${SWEEP_TIMEOUT:-540} "$BIN" sweep --config configs/sweeps/sample_gpu.json --model $MODEL --out "$OUT/sweep.jsonl" \
  2>"$OUT/sweep_progress.txt"
status=$?
tail -5 "$OUT/sweep_progress.txt"
echo "sweep: $(( $(date +%s) - t0 )) s, exit $status"
[ -f "$OUT/sweep.md" ] && cat "$OUT/sweep.md"
exit $status
