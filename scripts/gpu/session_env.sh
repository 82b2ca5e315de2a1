# Sourced by the GPU scripts that run after `bash scripts/gpu/check.sh build` in the same warm session
# (from the repo root): OUT, BUILD (build-gpu), DATA (.carry/data or GPTBENCH_DATA_DIR), BIN, status,
# and build_targets LOG TARGET... (ninja on every core; prints the errors and exits when it fails).
set -uo pipefail
OUT=${OUT:-/tmp/gptbench_gpu_out}
mkdir -p "$OUT"
BUILD=build-gpu
DATA=${GPTBENCH_DATA_DIR:-$PWD/.carry/data}
BIN=$BUILD/gptbench
export PYTHONUNBUFFERED=1 GPTBENCH_DATA_DIR=$DATA
status=0
[ -d "$BUILD" ] || { echo "no $BUILD: run 'bash scripts/gpu/check.sh build' first"; exit 1; }

build_targets() {
  local log=$1 t0
  shift
  t0=$(date +%s)
  cmake --build "$BUILD" -j "$(nproc)" --target "$@" >"$log" 2>&1 \
    || { grep -E "error" -A3 "$log" | head -40; echo "BUILD FAILED"; exit 1; }
  echo "build: $(( $(date +%s) - t0 )) s"
}
