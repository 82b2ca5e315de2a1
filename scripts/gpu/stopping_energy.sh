#!/usr/bin/env bash
# `gptbench run`'s stopping rule and energy per token on the GPU machine (issue 23), from the repo root,
# after `bash scripts/gpu/check.sh build` (build-gpu exists) in the same warm session:
#   1. builds the gptbench target only;
#   2. gpt2 shape (gptbench init --seed 0), fp16, synthetic 512-token prompts + 64 new tokens:
#      flash and sdpa at batch 1 under --max-noise 0.01 --min-batches 10 --max-time 20 (4 prompts,
#      repeated), flash at batch 8 under --min-time 3, and a plain flash run (one pass of 8 prompts:
#      the rule's default, p90 withheld below 10 batches);
#   3. `gptbench report` of the runs (J/token, avg W, TPOT p90 columns) and `gptbench compare` of
#      sdpa against flash (the energy rows, not gated).
# Reports, tables and logs under $OUT; a short table last: what stopped each run, its batches and
# noise, TPOT p50/p90, J/token and mean power. < 2 minutes on an H200 (build ~1 min when stale).
# shellcheck source=scripts/gpu/session_env.sh
. scripts/gpu/session_env.sh  # OUT, BUILD, DATA, BIN, status, build_targets
build_targets "$OUT/stopping_energy_build.log" gptbench

model=/tmp/gpt2-init
[ -f $model/model.safetensors ] || "$BIN" init --config gpt2 --seed 0 --out $model --tokenizer "$DATA/gpt2_tokenizer" >/dev/null
common=(--model $model --device cuda --dtype fp16 --dataset synthetic --prompt-tokens 512 --max-new-tokens 64
        --min-new-tokens 64 --warmup 2 --no-progress)
run() {  # name, flags...
  local name=$1; shift
  timeout 100 "$BIN" run "${common[@]}" "$@" --out "$OUT/se_$name.json" >"$OUT/se_$name.txt" 2>"$OUT/se_$name.err" \
    || { echo "run $name failed: $(tail -1 "$OUT/se_$name.err")"; status=1; }
  grep -E "stopping rule|tpot" "$OUT/se_$name.txt" | sed "s/^/  $name: /"
}
run flash_b1 --variant flash --batch-size 1 --limit 4 --max-noise 0.01 --min-batches 10 --max-time 20
run sdpa_b1 --variant sdpa --batch-size 1 --limit 4 --max-noise 0.01 --min-batches 10 --max-time 20
run flash_b8 --variant flash --batch-size 8 --limit 8 --min-time 3 --max-batches 500
run flash_plain --variant flash --batch-size 1 --limit 8

"$BIN" report "$OUT/se_flash_b1.json" "$OUT/se_sdpa_b1.json" "$OUT/se_flash_b8.json" "$OUT/se_flash_plain.json" \
  --out "$OUT/stopping_energy_report.md" 2>/dev/null || status=1
cat "$OUT/stopping_energy_report.md"
"$BIN" compare "$OUT/se_flash_b1.json" "$OUT/se_sdpa_b1.json" --allow-config-diff >"$OUT/stopping_energy_compare.txt" 2>&1
grep -E "gpu_telemetry|latency.tpot" "$OUT/stopping_energy_compare.txt"

python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
rows = ["| run | batches | samples | stopped by | e2e noise | TPOT p50 (ms) | TPOT p90 (ms) | J/token | avg W | throttled |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---|"]
for name in ("flash_b1", "sdpa_b1", "flash_b8", "flash_plain"):
    try:
        r = json.load(open(f"{out}/se_{name}.json"))
    except (OSError, ValueError):
        rows.append(f"| {name} | no report |"); continue
    if r.get("status") != "ok":
        rows.append(f"| {name} | error: {r.get('error')} |"); continue
    lat, st, tel = r["latency"], r["latency"].get("stopping") or {}, r.get("gpu_telemetry") or {}
    fmt = lambda v, f: "-" if v is None else format(v, f)
    rows.append(f"| {name} | {st.get('batches')} | {st.get('samples')} | {st.get('reason')} | "
                f"{fmt(st.get('noise'), '.4f')} | {fmt(lat['tpot'].get('p50'), '.4f')} | {fmt(lat['tpot'].get('p90'), '.4f')} | "
                f"{fmt(tel.get('j_per_token'), '.4f')} | {fmt(tel.get('mean_power_w'), '.1f')} | {tel.get('throttled')} |")
open(f"{out}/stopping_energy.md", "w").write("\n".join(rows) + "\n")
print("\n".join(rows))
PY
exit $status
