#!/usr/bin/env bash
# The A/B of overlapped GEMV launches (programmatic dependent launch + L2 weight prefetch; kernels/NOTES.md,
# "overlapped GEMV launches"), ON the GPU machine from the repo root after `scripts/gpu/check.sh build` in the
# same warm session (carry [".carry"]); one device call, < 3 minutes.
#   gptbench run, flash, CUDA-graph decode, fp16, 512-token prompt + 64 new tokens, random weights of the
#   gpt2 and gpt2-xl shapes (`gptbench init`), each cell three times in the same call: GPTBENCH_GEMV_OVERLAP=0
#   (serial launches), launch (overlapped launches) and prefetch (overlapped + L2 prefetch of the first weight
#   bytes); gpt2-xl also with --quant int8 / int4 (group 64) / nf4.
#   Then the GPU tests of the GEMV (fused_linear_gpu_test incl. the overlapped chain, quantized_linear_gpu_test,
#   decode_graph_gpu_test).
# Outputs under $OUT/overlap/: runs.jsonl (the reports), overlap.md (the table: tpot p50 serial / launch /
# prefetch, their ratios to serial, and the best against the weight-bytes floor at the measured copy bandwidth).
set -uo pipefail
OUT=${OUT:-/tmp/gptbench_gpu_out}
BUILD=${BUILD:-build-gpu}
BIN=$BUILD/gptbench
DATA=${GPTBENCH_DATA_DIR:-$PWD/.carry/data}
dir=$OUT/overlap
mkdir -p "$dir"
export PYTHONUNBUFFERED=1 GPTBENCH_DATA_DIR=$DATA
if [ -f .carry/sentencepiece/include/sentencepiece_processor.h ]; then
  export LD_LIBRARY_PATH=$PWD/.carry/sentencepiece/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
[ -x "$BIN" ] || { echo "no $BIN: run scripts/gpu/check.sh build first (same warm machine)"; exit 1; }
status=0
t0=$(date +%s)
cmake --build "$BUILD" --target fused_linear_gpu_test quantized_linear_gpu_test decode_graph_gpu_test -j 16 \
  >"$dir/build.log" 2>&1 || { tail -20 "$dir/build.log"; status=1; }
for t in kernels/fused_linear_gpu_test quant/quantized_linear_gpu_test model/decode_graph_gpu_test; do
  timeout 200 "$BUILD/tests/$t" >"$dir/$(basename $t).log" 2>&1 || status=1
  echo "$(basename $t): $(grep -E '^\[  (PASSED|FAILED) ' "$dir/$(basename $t).log" | tr '\n' ' ')"
  grep -E "^\[  FAILED  \]|Failure|Expected|Which is" "$dir/$(basename $t).log" | head -8
done
echo "tests: $(( $(date +%s) - t0 )) s"

for config in gpt2 gpt2-xl; do
  model=/tmp/${config}-init
  [ -f $model/model.safetensors ] || timeout 200 "$BIN" init --config $config --dtype fp16 --seed 0 --out $model \
    --tokenizer "$DATA/gpt2_tokenizer" >"$dir/init.log" 2>&1 || { tail -3 "$dir/init.log"; status=1; continue; }
done
: >"$dir/runs.jsonl"
cells="gpt2:none:1 gpt2:none:8 gpt2-xl:none:1 gpt2-xl:none:8 gpt2-xl:int8:1 gpt2-xl:int4:1 gpt2-xl:nf4:1"
for cell in ${OVERLAP_CELLS:-$cells}; do
  IFS=: read -r config q b <<<"$cell"
  group=""; [ "$q" = int4 ] && group="--quant-group 64"
  for overlap in 0 launch prefetch; do
    # shellcheck disable=SC2086
    GPTBENCH_GEMV_OVERLAP=$overlap timeout 120 "$BIN" run --model /tmp/${config}-init --variant flash --quant "$q" $group \
      --dtype fp16 --device cuda --dataset synthetic --prompt-tokens 512 --max-new-tokens 64 --min-new-tokens 64 \
      --batch-size "$b" --limit $((b * 8)) --warmup 2 --quiet --out /tmp/overlap_run.json >/dev/null \
      2>"$dir/run_err.txt" || { echo "run $cell overlap=$overlap failed: $(tail -1 "$dir/run_err.txt")"; status=1; continue; }
    python3 -c "import json,sys; r=json.load(open('/tmp/overlap_run.json')); r['_cell']={'config':sys.argv[1],'overlap':sys.argv[2]}; print(json.dumps(r))" \
      "$config" "$overlap" >>"$dir/runs.jsonl"
  done
done
python3 - "$dir" <<'PY'
import json, sys
sys.path.insert(0, "scripts/gpu")
from copy_bandwidth import copy_bandwidth
d = sys.argv[1]
bw = copy_bandwidth()
cells = {}
for line in open(f"{d}/runs.jsonl"):
    r = json.loads(line)
    q = (r.get("quant") or {}).get("format") or "none"
    key = (r["_cell"]["config"], q, r["config"]["batch_size"])
    cells.setdefault(key, {})[r["_cell"]["overlap"]] = r
lines = [f"# Overlapped GEMV launches, A/B/C in one call (copy bandwidth {bw / 1e12:.2f} TB/s)", "",
         "| shape | quant | B | tpot p50 serial ms | launch ms | prefetch ms | launch / serial | prefetch / serial | floor ms | serial vs floor | linear (prefetch run) |",
         "|---|---|---|---|---|---|---|---|---|---|---|"]
for (config, q, b), runs in cells.items():
    if not all(m in runs for m in ("0", "launch", "prefetch")):
        continue
    s, l, p = (runs[m]["latency"]["tpot"]["p50"] for m in ("0", "launch", "prefetch"))
    floor = runs["0"]["memory"]["weights_bytes"] / bw * 1e3
    lin = (runs["prefetch"].get("linear") or {}).get("decode") or (runs["prefetch"].get("linear") or {}).get("kernel")
    lines.append(f"| {config} | {q} | {b} | {s:.3f} | {l:.3f} | {p:.3f} | {l / s:.3f}x | {p / s:.3f}x | {floor:.3f} | {s / floor:.2f}x | {lin} |")
open(f"{d}/overlap.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
echo "decode_overlap: $(( $(date +%s) - t0 )) s, status $status"
exit $status
