#!/usr/bin/env bash
# The GPU regression check of CI (.github/workflows/gpu-regression.yml), run from anywhere in the repo
# on a machine with a CUDA GPU:
#   1. build: scripts/gpu/check.sh build (build-gpu, the machine's torch)      [--bin PATH: skipped]
#   2. the GPU tests: ctest -L gpu in build-gpu                                [--no-gpu-tests: skipped]
#   3. the pinned benchmark: one `gptbench run` per cell of the config (configs/ci/gpu_regression.json)
#      on a random checkpoint of `gptbench init` (the config's "_model")
#   4. `gptbench compare` of each cell's report with its baseline, BASELINE_DIR/<gpu>/<cell>.json, where
#      <gpu> is the GPU model the reports ran on (their env.gpu, "cpu" for a CPU run) as a file-name
#      slug ("NVIDIA H100 80GB HBM3" -> nvidia-h100-80gb-hbm3) and BASELINE_DIR defaults to
#      bench/baselines/<config name>; fails on a regression or a missing baseline ("no baseline for <gpu>")
# Options:
#   --refresh-baseline  steps 1-3, then write the reports as the new baseline of this GPU model (and under
#                       $OUT/baseline/<gpu>) instead of comparing; nothing is written when a cell failed
#   --config FILE       the pinned config (configs/ci/cpu_smoke.json: the same pipeline on the CPU)
#   --baseline-dir DIR  where the per-GPU baseline folders are
#   --bin PATH          use this gptbench binary instead of building
#   --no-gpu-tests      skip step 2
#   -- FLAGS...         passed to `gptbench compare` (e.g. -- --max-latency-regression 15%)
# Env: OUT (reports, comparisons, logs; default build-ci/out), GPTBENCH_DATA_DIR (the shared data for
# the build's tests; default .carry/data when present, else ../shared/data), GPTBENCH_CI_WORK (the
# checkpoint folder; default build-ci: the path is part of each report's config, keep it fixed).
# Exit: 0 passed, 1 a regression, failed run or test, or no baseline, 2 bad usage of this script.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 2
usage() { echo "gpu_regression.sh: $*" >&2; echo "usage: $0 [--refresh-baseline] [--config FILE] [--baseline-dir DIR] [--bin PATH] [--no-gpu-tests] [-- COMPARE_FLAGS...]" >&2; exit 2; }

CONFIG=configs/ci/gpu_regression.json
BASELINE_DIR=
BIN=
REFRESH=0
GPU_TESTS=1
COMPARE_FLAGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --refresh-baseline) REFRESH=1 ;;
    --config) [ $# -ge 2 ] || usage "--config needs a file"; CONFIG=$2; shift ;;
    --baseline-dir) [ $# -ge 2 ] || usage "--baseline-dir needs a folder"; BASELINE_DIR=$2; shift ;;
    --bin) [ $# -ge 2 ] || usage "--bin needs a path"; BIN=$2; shift ;;
    --no-gpu-tests) GPU_TESTS=0 ;;
    --) shift; COMPARE_FLAGS=("$@"); break ;;
    *) usage "unknown argument \"$1\"" ;;
  esac
  shift
done
[ -f "$CONFIG" ] || usage "--config $CONFIG: no such file"
NAME=$(basename "$CONFIG" .json)
BASELINE_ROOT=${BASELINE_DIR:-bench/baselines/$NAME}
OUT=${OUT:-build-ci/out}
WORK=${GPTBENCH_CI_WORK:-build-ci}
if [ -z "${GPTBENCH_DATA_DIR:-}" ]; then
  if [ -d .carry/data ]; then GPTBENCH_DATA_DIR=$ROOT/.carry/data; else GPTBENCH_DATA_DIR=$ROOT/../shared/data; fi
fi
export GPTBENCH_DATA_DIR
mkdir -p "$OUT/reports" "$OUT/compare" || exit 2
log() { echo "[gpu-regression] $*"; }
failures=()
# The device model a report ran on: env.gpu, "cpu" for a CPU run, empty when it records neither (as
# gptbench compare reads it: include/gptbench/compare/device_model.h).
device_of() {
  python3 - "$1" <<'PY' 2>/dev/null
import json, sys
env = json.load(open(sys.argv[1])).get("env") or {}
device = env.get("device") if isinstance(env.get("device"), str) else ""
print(env.get("gpu") or ("cpu" if device.startswith("cpu") else ""))
PY
}
# A device model as a folder name: lower case, each run of other characters one "-".
slug() { tr '[:upper:]' '[:lower:]' <<<"$1" | sed -E 's/[^a-z0-9]+/-/g; s/^-+//; s/-+$//'; }

# The checkpoint and the cells, from the config's "_model" and "_cells" (the rest is the run preset).
plan=$(python3 - "$CONFIG" <<'PY'
import json, re, sys
path = sys.argv[1]
try:
    config = json.load(open(path))
except (OSError, ValueError) as e:
    sys.exit(f"{path}: {e}")
model = config.get("_model")
if not isinstance(model, dict) or not isinstance(model.get("config"), str):
    sys.exit(f'{path}: "_model" must be {{"config": NAME_OR_PATH, "seed": N}}')
cells = config.get("_cells")
if not isinstance(cells, list) or not cells:
    sys.exit(f'{path}: "_cells" must be a non-empty list')
print("model", model["config"], int(model.get("seed", 0)), sep="\t")
names = set()
for i, cell in enumerate(cells):
    name = cell.get("name") if isinstance(cell, dict) else None
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.+-]*", name) or name in names:
        sys.exit(f'{path}: _cells[{i}] needs a unique "name" of letters, digits, "_.+-"')
    names.add(name)
    flags = []
    for key, value in cell.items():
        if key == "name":
            continue
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            sys.exit(f'{path}: _cells[{i}].{key} must be a string or number')
        flags += [f"--{key}", str(value)]
    print("cell", name, *flags, sep="\t")
PY
) || usage "bad --config $CONFIG"

# 1. Build
if [ -z "$BIN" ]; then
  log "building (scripts/gpu/check.sh build)"
  OUT=$OUT bash scripts/gpu/check.sh build || { log "FAILED: build (log: $OUT/build.log)"; exit 1; }
  BIN=build-gpu/gptbench
fi
[ -x "$BIN" ] || usage "--bin $BIN: not an executable"

# 2. GPU tests
if [ $GPU_TESTS = 1 ]; then
  log "GPU tests: ctest -L gpu (log: $OUT/ctest_gpu.log)"
  if (cd build-gpu && ctest -L gpu --output-on-failure) >"$OUT/ctest_gpu.log" 2>&1; then
    grep -E "tests passed" "$OUT/ctest_gpu.log"
  else
    grep -E "tests passed|Failed|\*\*\*" "$OUT/ctest_gpu.log" | head -20
    failures+=("GPU tests (ctest -L gpu): see $OUT/ctest_gpu.log")
  fi
fi

# 3. The pinned benchmark
IFS=$'\t' read -r _ model_config model_seed <<<"$(grep '^model' <<<"$plan")"
MODEL=$WORK/models/$NAME-seed$model_seed
rm -rf "$MODEL"
"$BIN" init --config "$model_config" --seed "$model_seed" --out "$MODEL" >"$OUT/init.log" 2>&1 \
  || { cat "$OUT/init.log"; log "FAILED: gptbench init --config $model_config"; exit 1; }
cells=()
while IFS=$'\t' read -r -a fields; do
  [ "${fields[0]}" = cell ] || continue
  name=${fields[1]}
  cells+=("$name")
  report=$OUT/reports/$name.json
  rm -f "$report"
  log "run $name: ${fields[*]:2}"
  if ! "$BIN" run --preset "$CONFIG" --model "$MODEL" "${fields[@]:2}" --out "$report" \
      >"$OUT/reports/$name.txt" 2>"$OUT/reports/$name.err"; then
    failures+=("run $name: $(tail -1 "$OUT/reports/$name.err")")
  fi
  sed 's/^/    /' "$OUT/reports/$name.txt"
done <<<"$plan"

# 4. Compare with the baseline of this GPU model, or refresh it
DEVICE=
for name in "${cells[@]}"; do
  [ -f "$OUT/reports/$name.json" ] && DEVICE=$(device_of "$OUT/reports/$name.json")
  [ -n "$DEVICE" ] && break
done
if [ -z "$DEVICE" ]; then
  printf '  %s\n' "${failures[@]}"
  log "FAILED: no cell wrote a report that names its device, so no baseline can be chosen"
  exit 1
fi
BASELINE_DIR=$BASELINE_ROOT/$(slug "$DEVICE")
log "device: $DEVICE (baseline folder $BASELINE_DIR)"
if [ $REFRESH = 1 ]; then
  if [ ${#failures[@]} -gt 0 ]; then
    printf '  %s\n' "${failures[@]}"
    log "FAILED: no baseline written, as something failed"
    exit 1
  fi
  copies=$OUT/baseline/$(slug "$DEVICE")
  mkdir -p "$BASELINE_DIR" "$copies" || exit 1
  for name in "${cells[@]}"; do
    cp "$OUT/reports/$name.json" "$copies/$name.json"
    cp "$OUT/reports/$name.json" "$BASELINE_DIR/.$name.json.tmp" && mv "$BASELINE_DIR/.$name.json.tmp" "$BASELINE_DIR/$name.json"
  done
  log "new baseline for $DEVICE: $BASELINE_DIR/{$(IFS=,; echo "${cells[*]}")}.json (copies in $copies): review, then commit"
  exit 0
fi
summary=()
if [ ! -d "$BASELINE_DIR" ]; then
  known=$(find "$BASELINE_ROOT" -mindepth 1 -maxdepth 1 -type d -printf '%f ' 2>/dev/null)
  failures+=("no baseline for $DEVICE; run with --refresh-baseline on this GPU, review, commit ($BASELINE_DIR/ does not exist; baselines exist for: ${known:-none})")
fi
for name in "${cells[@]}"; do
  base=$BASELINE_DIR/$name.json
  new=$OUT/reports/$name.json
  if [ ! -f "$base" ]; then
    [ -d "$BASELINE_DIR" ] && failures+=("$name: no baseline for $DEVICE ($base): run with --refresh-baseline on this GPU, review, commit")
    summary+=("$name: no baseline")
    continue
  fi
  [ -f "$new" ] || { summary+=("$name: no report"); continue; }
  "$BIN" compare "$base" "$new" --json "$OUT/compare/$name.json" "${COMPARE_FLAGS[@]}" \
    >"$OUT/compare/$name.txt" 2>"$OUT/compare/$name.err"
  rc=$?
  cat "$OUT/compare/$name.txt"
  case $rc in
    0) summary+=("$name: ok") ;;
    1) summary+=("$name: REGRESSED"); failures+=("$name: $(tail -1 "$OUT/compare/$name.err")") ;;
    *) summary+=("$name: NOT COMPARED"); failures+=("$name: $(tail -1 "$OUT/compare/$name.err")") ;;
  esac
done

echo
log "summary ($CONFIG against $BASELINE_DIR):"
printf '  %s\n' "${summary[@]}"
if [ ${#failures[@]} -gt 0 ]; then
  log "FAILED:"
  printf '  %s\n' "${failures[@]}"
  exit 1
fi
log "passed"
