#!/usr/bin/env bash
# The whole GPU cycle, run ON the GPU machine from the repo root (device tool, carry [".carry"],
# after scripts/gpu/prepare_carry.sh here). Stages, each one device call of < 10 minutes:
#   scripts/gpu/check.sh build   configure + build everything (the machine's torch; CUDA architectures of the
#                                GPUs present, 9.0 as 90a, or CMAKE_CUDA_ARCHITECTURES; -j the core count)
#   scripts/gpu/check.sh test    GPU tests (ctest -L gpu), gpt2-shape parity + fp16/bf16 report
#   scripts/gpu/check.sh bench   gptbench run (synthetic 512+64, B1/B8, every variant) vs transformers
#   scripts/gpu/check.sh profile where the time goes: --profile of flash graph decode (B1, B8) and of
#                                sdpa/flash training steps (gpt2 shape, T 1024, bf16); top kernels printed,
#                                reports (with the top-25 tables) under $OUT, Chrome traces in /tmp/profiles
#   scripts/gpu/check.sh family  issue 16's target: a Mistral-7B-shaped random checkpoint (bf16, written by
#                                gptbench init), batch 1, 512-token prompt + 64 tokens, ours against
#                                transformers (sdpa; FAMILY_HF_IMPLS adds sdpa+compile) and the weight-bytes floor
#   scripts/gpu/check.sh all     build, test and bench in order
# The build folder build-gpu stays on the machine between calls while it is warm.
# Full outputs go under $OUT; a short table is printed last.
set -uo pipefail
STAGE=${1:-all}
OUT=${OUT:-/tmp/gptbench_gpu_out}
mkdir -p "$OUT"
BUILD=build-gpu
DATA=${GPTBENCH_DATA_DIR:-$PWD/.carry/data}  # the shared data: carried under .carry/data, or where GPTBENCH_DATA_DIR says
BIN=$BUILD/gptbench
export PYTHONUNBUFFERED=1 GPTBENCH_DATA_DIR=$DATA GPTBENCH_BIN=$PWD/$BIN
# SentencePiece: the copy prepare_carry.sh made (found by CMake through GPTBENCH_SENTENCEPIECE_ROOT), else the system's.
if [ -f .carry/sentencepiece/include/sentencepiece_processor.h ]; then
  export GPTBENCH_SENTENCEPIECE_ROOT=$PWD/.carry/sentencepiece
  export LD_LIBRARY_PATH=$GPTBENCH_SENTENCEPIECE_ROOT/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
status=0

# The CUDA architectures to build: CMAKE_CUDA_ARCHITECTURES when given, else those of the GPUs present
# (nvidia-smi's compute_cap, 9.0 -> 90a: the sm_90a kernels need the "a" target on Hopper).
cuda_archs() {
  if [ -n "${CMAKE_CUDA_ARCHITECTURES:-}" ]; then echo "$CMAKE_CUDA_ARCHITECTURES"; return 0; fi
  local caps
  caps=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | tr -d ' .' | sort -u | paste -sd';')
  [ -n "$caps" ] || { echo "no GPU found by nvidia-smi: set CMAKE_CUDA_ARCHITECTURES (e.g. 90a)" >&2; return 1; }
  sed -E 's/(^|;)90($|;)/\190a\2/g' <<<"$caps"
}

build() {
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm --format=csv,noheader | tee "$OUT/gpu.txt"
  local prefix t0
  prefix=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
  t0=$(date +%s)
  local archs jobs
  archs=$(cuda_archs) || return 1
  jobs=$(nproc)
  echo "CUDA architectures $archs, $jobs build jobs"
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" -DGPTBENCH_PYTHON="$(command -v python3)" \
    -DCMAKE_CUDA_ARCHITECTURES="$archs" -DGPTBENCH_DATA_DIR="$DATA" >"$OUT/build.log" 2>&1 \
    || { tail -30 "$OUT/build.log"; echo "CONFIGURE FAILED"; return 1; }
  cmake --build "$BUILD" -j "$jobs" >>"$OUT/build.log" 2>&1 \
    || { grep -E "error" -A3 "$OUT/build.log" | head -40; echo "BUILD FAILED"; return 1; }
  echo "configure + build: $(( $(date +%s) - t0 )) s"
}

gpu_tests() {
  local t0=$(date +%s)
  (cd "$BUILD" && timeout 420 ctest -L gpu -E "parity_hf_gpu|beam_search_hf_gpu|flash_vs_standard_gpu" --output-on-failure -j 1) >"$OUT/ctest_gpu.log" 2>&1 || status=1
  grep -E "tests passed|Failed|Not Run|\*\*\*" "$OUT/ctest_gpu.log" | head -20
  "$BUILD/tests/attention/attention_memory_gpu_test" 2>&1 | grep -E "memory \]|OK|FAILED" | tee "$OUT/memory.txt"
  timeout 300 python3 tests/model/parity_hf.py --device cuda --shape gpt2 --new-tokens 32 \
    --precision-report "$OUT/precision.json" >"$OUT/parity_gpu.log" 2>&1 || status=1
  grep -E "FAIL|info|passed|failed" "$OUT/parity_gpu.log" | tail -12
  timeout 240 python3 tests/model/flash_vs_standard_gpu.py --report "$OUT/flash_vs_standard.json" \
    >"$OUT/flash_vs_standard.log" 2>&1 || status=1
  tail -8 "$OUT/flash_vs_standard.log"
  echo "gpu tests: $(( $(date +%s) - t0 )) s, status $status"
}

bench() {
  local model=/tmp/gpt2-init
  [ -f $model/model.safetensors ] || "$BIN" init --config gpt2 --seed 0 --out $model --tokenizer "$DATA/gpt2_tokenizer" 2>/dev/null
  timeout 240 python3 scripts/bench/hf_generate_peer.py --model $model --prompt-tokens 512 --new-tokens 64 \
    --batch 1,8 --out "$OUT/hf_peer.json" 2>"$OUT/hf_peer.err" || { tail -5 "$OUT/hf_peer.err"; status=1; }
  : >"$OUT/run_synthetic.jsonl"
  for b in 1 2 4 8; do
    # variant:decode:linear. At B 1 and 8 every variant, flash also with eager decode steps; at every B
    # flash's CUDA-graph decode with the projections on our GEMV (--linear gemv) and on cuBLAS (--linear
    # aten): the A/B that sets kGemvDefaultMaxRows (include/gptbench/kernels/fused_linear.h).
    local cells="flash:auto:gemv flash:auto:aten"
    [ $b = 1 ] || [ $b = 8 ] && cells="standard:auto:auto sdpa:auto:auto flash:eager:auto flash:auto:auto $cells \
      flash+alibi:auto:auto flash+sparse:auto:auto"
    for vdl in $cells; do
      IFS=: read -r v d l <<<"$vdl"
      "$BIN" run --model $model --variant "$v" --decode "$d" --linear "$l" --dtype fp16 --device cuda --dataset synthetic \
        --prompt-tokens 512 --max-new-tokens 64 --min-new-tokens 64 --batch-size $b --limit $((b * 8)) --warmup 2 \
        --quiet --out /tmp/r.json >/dev/null 2>"$OUT/run_err.txt" || { echo "run $v $d $l B$b failed: $(tail -1 "$OUT/run_err.txt")"; status=1; continue; }
      python3 -c "import json,sys; print(json.dumps(json.load(open('/tmp/r.json'))))" >>"$OUT/run_synthetic.jsonl"
    done
  done
  python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
print("== gptbench run, synthetic 512-token prompt + 64 new tokens, fp16")
for line in open(f"{out}/run_synthetic.jsonl"):
    r = json.loads(line); l = r["latency"]; m = r["memory"]
    print(f"  {r['attention']['variant']:12s} {r['decode']['mode']:10s} {r['config'].get('linear', ''):4s} B{r['config']['batch_size']}: ttft p50 {l['ttft']['p50']:7.2f} ms  "
          f"tpot p50 {l['tpot']['p50']:6.3f} ms  {l['tokens_per_s']:8.0f} tok/s  peak {m['peak_allocated_bytes']/2**20:6.0f} MiB"
          f"  [{r['attention']['kernel']} | {(r.get('linear') or {}).get('kernel')}]")
try:
    h = json.load(open(f"{out}/hf_peer.json"))
    for x in h["results"]:
        print(f"  hf {x['attn_implementation']:6s}      B{x['batch']}: prefill  {x['prefill']['median_ms']:7.2f} ms  "
              f"decode ~{x['decode_ms_per_token']:.3f} ms/token  (generate {x['generate']['median_ms']:.1f} ms)")
except FileNotFoundError:
    print("  (no transformers peer results)")
PY
}

profile() {
  # PROFILE_CONFIG: the decode model's shape (gpt2, gpt2-xl, ...); PROFILE_DECODE: quant:batch cells of the
  # flash graph decode; PROFILE_TRAIN: variant:batch cells of the training profile ("" skips them).
  local config=${PROFILE_CONFIG:-gpt2} traces=/tmp/profiles text=$DATA/wikitext2_raw/wiki.test.raw
  local model=/tmp/${config}-init
  mkdir -p $traces
  [ -f $model/model.safetensors ] || "$BIN" init --config "$config" --dtype fp16 --seed 0 --out $model \
    --tokenizer "$DATA/gpt2_tokenizer" >/dev/null
  for qb in ${PROFILE_DECODE:-none:1 none:8}; do
    local q=${qb%%:*} b=${qb##*:}
    timeout 120 "$BIN" run --model $model --variant flash --quant "$q" --dtype fp16 --device cuda --dataset synthetic \
      --prompt-tokens 512 --max-new-tokens 64 --min-new-tokens 64 --batch-size $b --limit $((b * 2)) --warmup 1 \
      --quiet --profile $traces/decode_${q}_b$b.json --out "$OUT/profile_run_${config}_${q}_b$b.json" >/dev/null \
      2>"$OUT/profile_err.txt" || { echo "profile run $q B$b failed: $(tail -1 "$OUT/profile_err.txt")"; status=1; }
  done
  for vb in ${PROFILE_TRAIN-sdpa:16 flash:16}; do
    set -- ${vb/:/ }
    timeout 150 "$BIN" train --model $model --dataset text --data-path "$text" --variant "$1" --precision bf16 \
      --device cuda --seq-len 1024 --batch-size "$2" --steps 8 --warmup-steps 2 --timing-skip 3 --profile-steps 3 \
      --eval-samples 4 --log-interval 10 --profile $traces/train_${1//+/_}.json --out /tmp/tp \
      --report "$OUT/profile_train_${1//+/_}.json" --quiet 2>"$OUT/profile_err.txt" \
      || { echo "profile train $1 failed: $(tail -1 "$OUT/profile_err.txt")"; status=1; }
    rm -rf /tmp/tp
  done
  python3 - "$OUT" <<'PY'
import glob, json, sys
for f in sorted(glob.glob(f"{sys.argv[1]}/profile_*.json")):
    p = json.load(open(f)).get("profile") or {}
    t = p.get("totals", {})
    print(f"== {f.split('/')[-1]}: {p.get('kind')}, {t.get('calls', '?')} launches ({t.get('distinct', '?')} distinct), "
          f"{t.get('total_us', 0) / 1e3:.2f} ms of kernel time in {t.get('wall_us', 0) / 1e3:.2f} ms  {p.get('note') or ''}")
    for row in p.get("top", [])[:15]:
        print(f"  {row.get('percent', 0):5.1f}%  {row.get('calls', 0):6d} x {row.get('mean_us', 0):8.2f} us  {row.get('name', '')[:100]}")
PY
}

family() {
  local model=/tmp/mistral-7b t0
  t0=$(date +%s)
  if [ ! -f $model/model.safetensors ]; then
    # A 32000-piece tokenizer.model carried under .carry/mistral_tokenizer (trained here beforehand) saves the
    # several minutes that init's own 2-thread SentencePiece training takes; the decode timing does not use it.
    local tok=()
    [ -f .carry/mistral_tokenizer/tokenizer.model ] && tok=(--tokenizer .carry/mistral_tokenizer)
    timeout 300 "$BIN" init --config mistral-7b --dtype bf16 --seed 0 --out $model "${tok[@]}" >"$OUT/init_7b.log" 2>&1 \
      || { tail -3 "$OUT/init_7b.log"; echo "init mistral-7b failed"; status=1; return; }
  fi
  echo "init mistral-7b (bf16, tokenizer ${tok[*]:-trained by init}): $(( $(date +%s) - t0 )) s, $(du -sh $model | cut -f1)"
  : >"$OUT/run_7b.jsonl"
  for v in ${FAMILY_VARIANTS:-flash sdpa}; do
    t0=$(date +%s)
    timeout 200 "$BIN" run --model $model --variant "$v" --dtype bf16 --device cuda --dataset synthetic \
      --prompt-tokens 512 --max-new-tokens 64 --min-new-tokens 64 --batch-size 1 --limit 3 --warmup 1 \
      --quiet --out /tmp/r7b.json >/dev/null 2>"$OUT/run_7b_err.txt" \
      || { echo "run $v failed: $(tail -1 "$OUT/run_7b_err.txt")"; status=1; continue; }
    python3 -c "import json; print(json.dumps(json.load(open('/tmp/r7b.json'))))" >>"$OUT/run_7b.jsonl"
    echo "run $v: $(( $(date +%s) - t0 )) s"
  done
  if [ "${FAMILY_HF_IMPLS:-sdpa}" != none ]; then  # none: no transformers peer (its figure from an earlier call)
    timeout 240 python3 scripts/bench/hf_generate_peer.py --model $model --prompt-tokens 512 --new-tokens 64 --batch 1 \
      --dtype bf16 --impls "${FAMILY_HF_IMPLS:-sdpa}" --repeats 3 --out "$OUT/hf_peer_7b.json" 2>"$OUT/hf_peer_7b.err" \
      || { tail -3 "$OUT/hf_peer_7b.err"; status=1; }
  fi
  python3 - "$OUT" <<'PY'
import json, sys
sys.path.insert(0, "scripts/gpu")
from copy_bandwidth import copy_bandwidth  # the floor's denominator
out = sys.argv[1]
bw = copy_bandwidth()
print(f"== Mistral-7B shape, bf16, B1, 512-token prompt + 64 new tokens; copy bandwidth {bw / 1e12:.2f} TB/s")
for line in open(f"{out}/run_7b.jsonl"):
    r = json.loads(line); l = r["latency"]; m = r["memory"]
    floor_ms = m["weights_bytes"] / bw * 1e3
    print(f"  gptbench {r['attention']['variant']:6s}: ttft p50 {l['ttft']['p50']:7.2f} ms  tpot p50 {l['tpot']['p50']:6.3f} ms "
          f"= {l['tpot']['p50'] / floor_ms:.3f}x the weight-bytes floor ({m['weights_bytes'] / 1e9:.2f} GB -> {floor_ms:.3f} ms)  "
          f"[{r['attention']['kernel']} | {(r.get('linear') or {}).get('kernel')} | {r['decode']['mode']}]")
try:
    for x in json.load(open(f"{out}/hf_peer_7b.json"))["results"]:
        print(f"  transformers {x['attn_implementation']:12s}: prefill {x['prefill']['median_ms']:7.2f} ms  "
              f"decode ~{x['decode_ms_per_token']:.3f} ms/token")
except FileNotFoundError:
    print("  (no transformers peer results)")
PY
}

case "$STAGE" in
  family) family ;;
  flashmodel) timeout 300 python3 tests/model/flash_vs_standard_gpu.py --report "$OUT/flash_vs_standard.json" | tail -30 ;;
  build) build || exit 1 ;;
  test) gpu_tests ;;
  bench) bench ;;
  profile) profile ;;
  all) build || exit 1; gpu_tests; bench ;;
  *) echo "usage: $0 build|test|bench|profile|all"; exit 2 ;;
esac
exit $status
