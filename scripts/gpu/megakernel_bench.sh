#!/usr/bin/env bash
# Issue 22 step 1, speed: the persistent decode megakernel against the CUDA-graph decode in one process
# (tools/megakernel_bench.cpp), ON the GPU machine from the repo root after `scripts/gpu/check.sh build` in the same
# warm session (carry [".carry"]); a batch.sh stage, < 3 minutes. Random gpt2 and gpt2-xl checkpoints
# (`gptbench init --dtype fp16 --seed 0`), fp16, 512-token prompt + 64 new tokens, B 1 and 8 (MEGAKERNEL_CELLS:
# config:batch ...): ms/token of the megakernel (flags, and the grid-barrier A/B) and of the graph decode, bytes per
# token over time against the copy bandwidth measured in the same process, the weight floor, greedy tokens.
# Outputs under $OUT: bench_<config>_b<B>.{md,json,err}, megakernel_bench.md (every table).
set -uo pipefail
OUT=${OUT:-/tmp/gptbench_gpu_out}
BUILD=${BUILD:-build-gpu}
BIN=$BUILD/gptbench
DATA=${GPTBENCH_DATA_DIR:-$PWD/.carry/data}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 GPTBENCH_DATA_DIR=$DATA
if [ -f .carry/sentencepiece/include/sentencepiece_processor.h ]; then
  export LD_LIBRARY_PATH=$PWD/.carry/sentencepiece/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
[ -x "$BIN" ] || { echo "no $BIN: run scripts/gpu/check.sh build first (same warm machine)"; exit 1; }
t0=$(date +%s)
status=0
cmake --build "$BUILD" --target megakernel_bench -j "$(nproc)" >"$OUT/build_bench.log" 2>&1 \
  || { grep -E "error" -A3 "$OUT/build_bench.log" | head -30; echo "BUILD FAILED"; exit 1; }
for config in gpt2 gpt2-xl; do
  model=/tmp/${config}-init
  [ -f $model/model.safetensors ] || timeout 200 "$BIN" init --config $config --dtype fp16 --seed 0 --out $model \
    --tokenizer "$DATA/gpt2_tokenizer" >"$OUT/init_$config.log" 2>&1 || { tail -3 "$OUT/init_$config.log"; status=1; }
done
echo "build + init: $(( $(date +%s) - t0 )) s"
: >"$OUT/megakernel_bench.md"
for cell in ${MEGAKERNEL_CELLS:-gpt2:1 gpt2:8 gpt2-xl:1 gpt2-xl:8}; do
  IFS=: read -r config b <<<"$cell"
  name=bench_${config}_b$b
  timeout 150 "$BUILD/megakernel_bench" --model /tmp/${config}-init --batch "$b" --prompt 512 --new 64 --repeats 5 \
    --json "$OUT/$name.json" >"$OUT/$name.md" 2>"$OUT/$name.err" \
    || { echo "bench $config B$b failed: $(tail -3 "$OUT/$name.err")"; status=1; continue; }
  tee -a "$OUT/megakernel_bench.md" <"$OUT/$name.md"
  echo | tee -a "$OUT/megakernel_bench.md"
done
echo "total: $(( $(date +%s) - t0 )) s, status $status"
exit $status
