#!/usr/bin/env bash
# Where a batch-1 graph decode step's time goes, for the shapes the decode issues (16, 17, 22) measure against their
# weight-bytes floors: `check.sh profile` (flash, CUDA-graph decode, 512 + 64 tokens, --profile) for each config in
# DECODE_PROFILE_CONFIGS (default gpt2 gpt2-xl mistral-7b), training cells skipped. ON the GPU machine from the repo
# root after `check.sh build` in the same warm session (carry [".carry"]); mistral-7b's random checkpoint (14.5 GB,
# ~50 s) takes the tokenizer from .carry/mistral_tokenizer (prepare_carry.sh --mistral-tokenizer). < 4 minutes.
set -uo pipefail
OUT=${OUT:-/tmp/gptbench_gpu_out}
mkdir -p "$OUT"
status=0
for config in ${DECODE_PROFILE_CONFIGS:-gpt2 gpt2-xl mistral-7b}; do
  dtype=fp16
  if [ "$config" = mistral-7b ] && [ ! -f /tmp/mistral-7b-init/model.safetensors ]; then
    [ -f .carry/mistral_tokenizer/tokenizer.model ] || { echo "mistral-7b: no .carry/mistral_tokenizer"; status=1; continue; }
    timeout 200 build-gpu/gptbench init --config mistral-7b --dtype fp16 --seed 0 --out /tmp/mistral-7b-init \
      --tokenizer .carry/mistral_tokenizer >"$OUT/init_mistral.log" 2>&1 || { tail -2 "$OUT/init_mistral.log"; status=1; continue; }
  fi
  echo "=== $config"
  PROFILE_CONFIG=$config PROFILE_TRAIN="" PROFILE_DECODE="${DECODE_PROFILE_CELLS:-none:1}" \
    OUT=$OUT/$config bash scripts/gpu/check.sh profile || status=1
done
exit $status
