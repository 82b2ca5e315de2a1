#!/usr/bin/env bash
# The main job, end to end on a fresh machine: set up and build, get a checkpoint, and run it.
#   scripts/run.sh [MODEL_DIR] [extra gptbench generate flags...]
# Without MODEL_DIR it writes a GPT-2 (124M) shaped checkpoint with random weights
# (`gptbench init`) into build/models/gpt2-init: speed figures are then real, text is noise.
# With a real GPT-2 (see README: huggingface-cli download openai-community/gpt2) pass its folder.
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
    echo "[run] no model given: writing a random-weight gpt2-shaped checkpoint to $MODEL (quality is meaningless)"
    "$BIN" init --config gpt2 --seed 0 --out "$MODEL" --tokenizer "$DATA_DIR/gpt2_tokenizer"
  fi
fi
"$BIN" info --model "$MODEL"
echo "[run] gptbench generate --model $MODEL $*"
"$BIN" generate --model "$MODEL" --prompt "The news today: the city council approved a new budget" \
  --max-new-tokens 32 --json "$@"
