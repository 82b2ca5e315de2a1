#!/usr/bin/env bash
# The main job, end to end on a fresh machine: set up and build, get a checkpoint, and run the
# summarization benchmark (gptbench run) on the News Summary test split.
#   scripts/run.sh [MODEL_DIR] [extra `gptbench run` flags, e.g. --variant flash+alibi --limit 100]
# Without MODEL_DIR it writes a GPT-2 (124M) shaped checkpoint with random weights (`gptbench init`)
# into build/models/gpt2-init: latency and memory are then real, the quality figures meaningless.
# With a real GPT-2 (README: "Using a real GPT-2") pass its folder.
# Env: GPTBENCH_DATA_DIR (default ../shared/data), GPTBENCH_LIMIT (samples, default 8 on CPU, 100 on CUDA).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${GPTBENCH_BUILD_DIR:-$ROOT/build}
DATA_DIR=${GPTBENCH_DATA_DIR:-$ROOT/../shared/data}
"$ROOT/scripts/setup.sh"
BIN=$BUILD_DIR/gptbench
MODEL=${1:-}
[ $# -gt 0 ] && shift
if [ -z "$MODEL" ]; then
  MODEL=$BUILD_DIR/models/gpt2-init
  if [ ! -f "$MODEL/model.safetensors" ]; then
    echo "[run] no model given: writing a random-weight gpt2-shaped checkpoint to $MODEL"
    "$BIN" init --config gpt2 --seed 0 --out "$MODEL" --tokenizer "$DATA_DIR/gpt2_tokenizer"
  fi
  echo "[run] NOTE: random weights: the ROUGE/BLEU figures below are meaningless; latency and memory are real"
fi
PY=$(cat "$BUILD_DIR/.gptbench-python")
if "$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  DEVICE=cuda; DTYPE=fp16; LIMIT=${GPTBENCH_LIMIT:-100}
else
  DEVICE=cpu; DTYPE=fp32; LIMIT=${GPTBENCH_LIMIT:-8}
fi
mkdir -p "$BUILD_DIR/results"
"$BIN" info --model "$MODEL"
set -x
"$BIN" run --model "$MODEL" --dataset news_summary --data-dir "$DATA_DIR" --split test --limit "$LIMIT" \
  --device "$DEVICE" --dtype "$DTYPE" --max-new-tokens 64 --batch-size 4 \
  --out "$BUILD_DIR/results/run.json" --predictions "$BUILD_DIR/results/predictions.jsonl" "$@"
