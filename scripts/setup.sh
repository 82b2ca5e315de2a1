#!/usr/bin/env bash
# Idempotent set-up for a fresh machine: system packages, LibTorch (the torch==2.11.0 wheel),
# configure and build into build/ (the binary is build/gptbench). Safe to run again: every
# step checks first and says what it does.
#   GPTBENCH_BUILD_DIR   build folder (default: build)
#   GPTBENCH_CMAKE_ARGS  extra CMake arguments, e.g. -DCMAKE_CUDA_ARCHITECTURES=90a
#   GPTBENCH_JOBS        parallel build jobs (default: number of cores)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${GPTBENCH_BUILD_DIR:-$ROOT/build}
JOBS=${GPTBENCH_JOBS:-$(nproc)}
log() { echo "[setup] $*" >&2; }

# 1. System packages (Debian/Ubuntu). Checked by file, so a machine that has the headers
#    without the packages (the GPU machine) installs nothing.
declare -A need_file=(
  [cmake]=/usr/bin/cmake [ninja-build]=/usr/bin/ninja [g++]=/usr/bin/g++ [ccache]=/usr/bin/ccache
  [nlohmann-json3-dev]=/usr/include/nlohmann/json.hpp [libcli11-dev]=/usr/include/CLI/CLI.hpp
  [libfmt-dev]=/usr/include/fmt/format.h [libgtest-dev]=/usr/include/gtest/gtest.h
  [xz-utils]=/usr/bin/xz [libsentencepiece-dev]=/usr/include/sentencepiece_processor.h
)
# Optional: liblzma reads .xz datasets in-process (without it gptbench runs `xz -dc`); gloo's headers compile
# c10d's Gloo backend in (CPU data-parallel training and its tests; without them only NCCL).
declare -A want_file=([liblzma-dev]=/usr/include/lzma.h [libgloo-dev]=/usr/include/gloo/context.h)
missing=()
for pkg in "${!need_file[@]}"; do
  [ -e "${need_file[$pkg]}" ] || missing+=("$pkg")
done
can_apt=0
command -v apt-get >/dev/null && [ "$(id -u)" = 0 ] && can_apt=1
if [ $can_apt = 1 ]; then
  for pkg in "${!want_file[@]}"; do
    [ -e "${want_file[$pkg]}" ] || missing+=("$pkg")
  done
fi
has_torch() { python3 -c 'import torch, sys; sys.exit(0 if torch.__version__.startswith("2.11.") else 1)' >/dev/null 2>&1; }
if ! has_torch && ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then missing+=(python3-venv); fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ $can_apt = 1 ]; then
    log "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    log "missing packages (${missing[*]}) and no root apt-get: install them, then run again" && exit 1
  fi
else
  log "system packages present"
fi

# 2. Python with torch 2.11: the machine's own python3 if it has it (the GPU machine),
#    otherwise a project-local virtual environment .venv with scripts/requirements.txt.
if has_torch && [ ! -x "$ROOT/.venv/bin/python" ]; then
  PY=$(command -v python3)
  log "using $PY (torch $("$PY" -c 'import torch; print(torch.__version__)'))"
else
  PY=$ROOT/.venv/bin/python
  if [ ! -x "$PY" ]; then
    log "creating .venv"
    python3 -m venv "$ROOT/.venv"
  fi
  stamp=$ROOT/.venv/.requirements.sha
  want=$(sha256sum "$ROOT/scripts/requirements.txt" | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "installing scripts/requirements.txt into .venv (torch==2.11.0 is a large download the first time)"
    "$PY" -m pip install -q --disable-pip-version-check -r "$ROOT/scripts/requirements.txt"
    echo "$want" > "$stamp"
  else
    log ".venv up to date (torch $("$PY" -c 'import torch; print(torch.__version__)'))"
  fi
fi
TORCH_PREFIX=$("$PY" -c 'import torch; print(torch.utils.cmake_prefix_path)')

# 3. Configure (once, or again when the arguments change) and build.
launcher=()
# Paths under the checkout are hashed relative to it, so a fresh clone reuses the compile cache.
export CCACHE_BASEDIR=$ROOT CCACHE_NOHASHDIR=1
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
fi
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
# shellcheck disable=SC2206
extra=(${GPTBENCH_CMAKE_ARGS:-})
args=("${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$TORCH_PREFIX" -DGPTBENCH_PYTHON="$PY"
      "${launcher[@]}" "${extra[@]}")
args_file=$BUILD_DIR/.gptbench-configure-args
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ] || [ "$(cat "$args_file" 2>/dev/null)" != "${args[*]}" ]; then
  log "configuring $BUILD_DIR"
  mkdir -p "$BUILD_DIR"
  cmake -S "$ROOT" -B "$BUILD_DIR" "${args[@]}" > "$BUILD_DIR/configure.log" 2>&1 \
    || { cat "$BUILD_DIR/configure.log"; exit 1; }
  grep -E "gptbench:" "$BUILD_DIR/configure.log" >&2 || true
  echo "${args[*]}" > "$args_file"
fi
log "building with $JOBS jobs"
cmake --build "$BUILD_DIR" -j "$JOBS"
log "done: $BUILD_DIR/gptbench"
# Whether the CUDA kernels are in it: nvcc found at configure time, and GPTBENCH_CUDA not OFF.
nvcc_path=$(sed -n 's/^CMAKE_CUDA_COMPILER:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt")
cuda_option=$(sed -n 's/^GPTBENCH_CUDA:BOOL=//p' "$BUILD_DIR/CMakeCache.txt")
if [ -n "$nvcc_path" ] && [[ $nvcc_path != *NOTFOUND ]] && [ "$cuda_option" != OFF ]; then
  log "CUDA kernels: built (nvcc $nvcc_path, architectures $(sed -n 's/^CMAKE_CUDA_ARCHITECTURES:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt"))"
else
  log "CUDA kernels: NOT built (no nvcc found, or GPTBENCH_CUDA=OFF): the flash variants are unavailable. To get them," \
      "install the CUDA toolkit (nvcc on PATH, or CUDACXX=/usr/local/cuda/bin/nvcc), remove $BUILD_DIR/CMakeCache.txt" \
      "and run this script again"
fi
log "install a relocatable copy: cmake --install $BUILD_DIR --prefix DIR (DIR/bin/gptbench; README, Install)"
echo "$PY" > "$BUILD_DIR/.gptbench-python"
