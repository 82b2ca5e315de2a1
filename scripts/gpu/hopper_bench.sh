#!/usr/bin/env bash
# Issue 20's benchmark, run ON the GPU machine from the repo root after `scripts/gpu/check.sh build`
# (build-gpu, sm_90a): attn-bench at the issue's shapes with our prefill kernel forced to each
# architecture (--flash-arch sm80 | sm90) and SDPA's cuDNN / FA2 backends as peers, all in one
# call, then `gptbench run` TTFT of a 512-token prompt at B 1 and B 8 (gpt2 shape, fp16) with
# each prefill kernel. Shapes (fp16 and bf16):
#   D 64, H 12, causal and ALiBi: B16 T1024, B4 T4096, B1 T16384; window W 256 at B1 T16384
#   D 128, H 16, causal: B4 T4096, B1 T16384
# Outputs under $OUT: hopper_bench.json (every attn-bench row and run report), hopper_bench.md
# (the tables: TF/s, ratios to cuDNN / FA2 / sm80, ALiBi and window against our causal, TTFT),
# hopper_bench.log. Takes about 1 minute (48 s on the H200, 2026-12-03).
set -uo pipefail
OUT=${OUT:-/tmp/hopper_bench_out}
BUILD=${BUILD:-build-gpu}
BIN=$BUILD/gptbench
DATA=${GPTBENCH_DATA_DIR:-$PWD/.carry/data}
WORK=$(mktemp -d)
mkdir -p "$OUT" "$WORK/attn" "$WORK/run"
status=0
t0=$(date +%s)
LOG="$OUT/hopper_bench.log"
: >"$LOG"

bench() {  # bench <tag> <attn-bench args...>
  local tag=$1
  shift
  "$BIN" attn-bench --dtype fp16,bf16 "$@" --out "$WORK/attn/$tag.json" >>"$LOG" 2>&1 \
    || { echo "attn-bench $tag failed: $(tail -1 "$LOG")"; status=1; }
}

for shape in "16 1024 12 64" "4 4096 12 64" "1 16384 12 64" "4 4096 16 128" "1 16384 16 128"; do
  read -r b t h d <<<"$shape"
  axes=(--batch "$b" --seq "$t" --heads "$h" --head-dim "$d")
  flash=flash
  peers=sdpa-cudnn,sdpa-flash
  if [ "$d" = 64 ]; then
    flash=flash,flash+alibi
    peers=$peers,sdpa-cudnn+alibi,sdpa-efficient+alibi
  fi
  for arch in sm80 sm90; do bench "${arch}_b${b}_t${t}_d${d}" "${axes[@]}" --variants $flash --flash-arch $arch; done
  bench "sdpa_b${b}_t${t}_d${d}" "${axes[@]}" --variants $peers
done
for arch in sm80 sm90; do
  bench "${arch}_window" --batch 1 --seq 16384 --heads 12 --head-dim 64 --variants flash+sparse --window 256 --flash-arch $arch
done
echo "attn-bench: $(( $(date +%s) - t0 )) s"

model=/tmp/gpt2-init
[ -f $model/model.safetensors ] || "$BIN" init --config gpt2 --seed 0 --out $model --tokenizer "$DATA/gpt2_tokenizer" >>"$LOG" 2>&1
for b in 1 8; do
  for arch in sm80 sm90; do
    "$BIN" run --model $model --variant flash --flash-arch $arch --dtype fp16 --device cuda --dataset synthetic \
      --prompt-tokens 512 --max-new-tokens 16 --min-new-tokens 16 --batch-size $b --limit $((b * 8)) --warmup 2 \
      --quiet --out "$WORK/run/${arch}_b$b.json" >>"$LOG" 2>&1 || { echo "run $arch B$b failed: $(tail -1 "$LOG")"; status=1; }
  done
done
echo "total: $(( $(date +%s) - t0 )) s"

python3 - "$WORK" "$OUT" <<'PY'
import glob, json, os, sys
work, out = sys.argv[1], sys.argv[2]
rows, runs = [], []
env = None
for f in sorted(glob.glob(f"{work}/attn/*.json")):
    rep = json.load(open(f))
    env = env or rep.get("env")
    for r in rep["results"]:
        r["flash_arch"] = rep["config"].get("flash_arch") if r["variant"].startswith("flash") else None
        rows.append(r)
for f in sorted(glob.glob(f"{work}/run/*.json")):
    r = json.load(open(f))
    r["_file"] = os.path.basename(f)
    runs.append(r)
json.dump({"environment": env, "attn_bench": rows, "run": runs}, open(f"{out}/hopper_bench.json", "w"), indent=1)

def get(variant, dtype, b, t, d, arch=None):
    for r in rows:
        if (r["variant"], r["dtype"], r["batch"], r["k_len"], r["head_dim"]) == (variant, dtype, b, t, d) and \
                (arch is None or r["flash_arch"] == arch) and r["status"] == "ok":
            return r
    return None

def tf(r):
    return r["tflops"] if r else None

def ratio(a, b):
    return f"{a / b:.2f}x" if a and b else "-"

def num(x):
    return f"{x:.1f}" if x else "-"

md = []
dev = {k: v for k, v in (env or {}).items() if any(w in k for w in ("gpu", "device", "cuda", "torch", "driver"))}
md.append(f"# Hopper prefill (issue 20): attn-bench, one call. {json.dumps(dev)[:200]}\n")
md.append("TFLOP/s with the causal FLOP count (attn-bench). sm90 / sm80: our two prefill kernels (--flash-arch).\n")
md.append("| dtype | D | H | B | T | sm90 | sm80 | cuDNN | FA2 | sm90/sm80 | sm90/cuDNN | sm90/FA2 | sm90 kernel |")
md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
shapes = [(16, 1024, 12, 64), (4, 4096, 12, 64), (1, 16384, 12, 64), (4, 4096, 16, 128), (1, 16384, 16, 128)]
for dt in ("fp16", "bf16"):
    for b, t, h, d in shapes:
        s90, s80 = get("flash", dt, b, t, d, "sm90"), get("flash", dt, b, t, d, "sm80")
        cud, fa2 = get("sdpa-cudnn", dt, b, t, d), get("sdpa-flash", dt, b, t, d)
        md.append(f"| {dt} | {d} | {h} | {b} | {t} | {num(tf(s90))} | {num(tf(s80))} | {num(tf(cud))} | {num(tf(fa2))} | "
                  f"{ratio(tf(s90), tf(s80))} | {ratio(tf(s90), tf(cud))} | {ratio(tf(s90), tf(fa2))} | "
                  f"{s90['kernel'] if s90 else '-'} |")
md.append("\nALiBi (D 64, H 12): our kernel with ALiBi against our causal, and against the best SDPA backend given a bias.\n")
md.append("| dtype | B | T | sm90 alibi | sm90 alibi/causal | sm80 alibi | sm80 alibi/causal | best SDPA+bias | sm90 alibi/best SDPA |")
md.append("|---|---|---|---|---|---|---|---|---|")
for dt in ("fp16", "bf16"):
    for b, t, h, d in shapes[:3]:
        a90, c90 = tf(get("flash+alibi", dt, b, t, d, "sm90")), tf(get("flash", dt, b, t, d, "sm90"))
        a80, c80 = tf(get("flash+alibi", dt, b, t, d, "sm80")), tf(get("flash", dt, b, t, d, "sm80"))
        peers = [x for x in (tf(get("sdpa-cudnn+alibi", dt, b, t, d)), tf(get("sdpa-efficient+alibi", dt, b, t, d))) if x]
        best = max(peers) if peers else None
        md.append(f"| {dt} | {b} | {t} | {num(a90)} | {ratio(a90, c90)} | {num(a80)} | {ratio(a80, c80)} | {num(best)} | "
                  f"{ratio(a90, best)} |")
md.append("\nWindow W 256, B1 T16384, D 64, H 12 (ms): our dense causal / our window (target >= 20x).\n")
md.append("| dtype | arch | window ms | causal ms | causal/window |")
md.append("|---|---|---|---|---|")
for dt in ("fp16", "bf16"):
    for arch in ("sm90", "sm80"):
        w, c = get("flash+sparse", dt, 1, 16384, 64, arch), get("flash", dt, 1, 16384, 64, arch)
        if w and c:
            md.append(f"| {dt} | {arch} | {w['median_ms']:.4f} | {c['median_ms']:.4f} | {c['median_ms'] / w['median_ms']:.1f}x |")
md.append("\n`gptbench run`, gpt2 shape, fp16, synthetic 512-token prompt, 16 new tokens, --variant flash (ms).\n")
md.append("| B | arch | ttft p50 | ttft p90 | tpot p50 | attention kernel |")
md.append("|---|---|---|---|---|---|")
for r in runs:
    l = r["latency"]
    arch, b = r["_file"][:-5].split("_b")
    p90 = l['ttft'].get('p90')  # null below 10 samples (schema minor 5)
    md.append(f"| {b} | {arch} | {l['ttft']['p50']:.3f} | {'-' if p90 is None else f'{p90:.3f}'} | "
              f"{l['tpot']['p50']:.3f} | {r['attention'].get('kernel')} |")
open(f"{out}/hopper_bench.md", "w").write("\n".join(md) + "\n")
print("\n".join(md))
PY
rm -rf "$WORK"
exit $status
