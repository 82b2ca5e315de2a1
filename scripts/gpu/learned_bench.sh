#!/usr/bin/env bash
# Issue 19's scaling targets for `--variant performer` against flash, ON the GPU machine, after
# `scripts/gpu/check.sh build` in the same warm session (carry [".carry"]); one device call, < 3 minutes.
#   decode memory: the recurrent state (performer) vs the KV cache (flash) at context 1K, 4K, 16K, 64K:
#                  kv_cache bytes and peak allocated of `gptbench run` (synthetic prompt of T-64 tokens,
#                  64 new tokens, batch 1, fp16) on a GPT-2-small shape with n_positions 65536
#                  (random weights from `gptbench init`); the state must not grow with T
#   prefill time:  the same runs' time to first token (p50), which performer keeps linear in T
#   FAVOR+ error:  the approximation-error curve over m (the CPU test's printout)
# Outputs under $OUT/learned/: one report per run (run_<variant>_<T>.json), learned_bench.md (the table).
set -uo pipefail
OUT=${OUT:-/tmp/gptbench_gpu_out}
BUILD=build-gpu
BIN=$BUILD/gptbench
DATA=${GPTBENCH_DATA_DIR:-$PWD/.carry/data}
dir=$OUT/learned
mkdir -p "$dir"
[ -x "$BIN" ] || { echo "no $BIN: run scripts/gpu/check.sh build first"; exit 1; }
status=0
cmake --build "$BUILD" --target attention_learned_tests -j 16 >"$dir/build.log" 2>&1 || status=1
"$BUILD/tests/attention/attention_learned_tests" --gtest_filter='Performer.Error*' 2>&1 | grep -E "m=|OK|FAILED" \
  | tee "$dir/favor_error.txt"

source scripts/gpu/long_context.sh
model=$(long_context_model "$BIN" "$DATA" "$dir/init.log") || { echo "init failed"; exit 1; }

for t in 1024 4096 16384 65536; do
  for v in flash performer; do
    long_context_run "$BIN" "$model" $v $t 64 2 60 "$dir/run_${v}_$t.json" "$dir/run_err.txt" || status=1
  done
done

python3 - "$dir" <<'PY' | tee "$dir/learned_bench.md"
import json, os, sys
d = sys.argv[1]
print("| context T | variant | kernel | kv_cache / state MiB | peak allocated MiB | ttft p50 ms | tpot p50 ms |")
print("|---|---|---|---|---|---|---|")
for t in (1024, 4096, 16384, 65536):
    for v in ("flash", "performer"):
        p = f"{d}/run_{v}_{t}.json"
        if not os.path.exists(p):
            print(f"| {t} | {v} | (failed) | | | | |"); continue
        r = json.load(open(p)); m = r["memory"]; l = r["latency"]
        kv = m.get("kv_cache_bytes")
        print(f"| {t} | {v} | {r['attention']['kernel']} | {kv / 2**20 if kv is not None else float('nan'):.1f} | "
              f"{m['peak_allocated_bytes'] / 2**20:.0f} | {l['ttft']['p50']:.2f} | {l['tpot']['p50']:.3f} |")
PY
exit $status
