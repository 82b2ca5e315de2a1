#!/usr/bin/env bash
# Issue 17's measurements in one device call (< 5 minutes on an H200), run ON the GPU machine from the repo
# root after `scripts/gpu/check.sh build` (it needs build-gpu/gptbench; carry [".carry"] prepared here by
# scripts/gpu/prepare_carry.sh and `scripts/gpu/quant_bench.sh prepare`):
#   1. decode ms/token, gpt2-xl shape (random weights, `gptbench init`, fp16), flash with CUDA-graph decode,
#      512-token prompt + 64 new tokens, batch 1 and 8, for --quant none / int8 / int4 (group 64: K = 1600) / nf4,
#      each against its floor: memory.weights_bytes / the measured copy bandwidth;
#   2. WikiText-2 perplexity (the first QUANT_PPL_TOKENS tokens) and the mean KL to the unquantized model
#      (--kl-against none) for each format on the gpt2 shape (random weights unless QUANT_PPL_MODEL names a
#      trained checkpoint, e.g. one of train.sh's quality models);
#   3. transformers + bitsandbytes (NF4 with double quantization, LLM.int8()) on the same gpt2-xl checkpoint,
#      same prompt and batches, when bitsandbytes imports (carried under .carry/bnb: see `prepare`).
# Outputs under $OUT: quant_runs.jsonl (the gptbench reports), quant_ppl.jsonl, bnb_peer.json,
# quant_bench.json and quant_bench.md (the tables). Exit status 1 when a step failed.
#
#   scripts/gpu/quant_bench.sh prepare   HERE, not on the GPU machine: copies the venv's bitsandbytes (python
#                                        files, dist-info, the CUDA 13 libraries only: ~10 MB) to .carry/bnb
#   scripts/gpu/quant_bench.sh [run]     on the GPU machine
set -uo pipefail
STAGE=${1:-run}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

if [ "$STAGE" = prepare ]; then
  SITE=$(python3 -c 'import bitsandbytes, os; print(os.path.dirname(os.path.dirname(bitsandbytes.__file__)))' 2>/dev/null \
    || "$ROOT/.venv/bin/python" -c 'import bitsandbytes, os; print(os.path.dirname(os.path.dirname(bitsandbytes.__file__)))')
  DEST=$ROOT/.carry/bnb
  rm -rf "$DEST" && mkdir -p "$DEST"
  # The package without the libraries of other CUDA/ROCm/XPU versions (the wheel's 125 MB is mostly those).
  (cd "$SITE" && tar cf - --exclude='libbitsandbytes_cuda1[12]*.so' --exclude='libbitsandbytes_rocm*.so' \
    --exclude='libbitsandbytes_xpu*.so' --exclude='__pycache__' bitsandbytes bitsandbytes-*.dist-info) | tar xf - -C "$DEST"
  du -sh "$DEST"
  exit 0
fi

OUT=${OUT:-/tmp/gptbench_gpu_out}
mkdir -p "$OUT"
BUILD=${BUILD:-build-gpu}
BIN=$BUILD/gptbench
DATA=${GPTBENCH_DATA_DIR:-$PWD/.carry/data}
export PYTHONUNBUFFERED=1 GPTBENCH_DATA_DIR=$DATA
if [ -f .carry/sentencepiece/include/sentencepiece_processor.h ]; then
  export LD_LIBRARY_PATH=$PWD/.carry/sentencepiece/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
[ -x "$BIN" ] || { echo "no $BIN: run scripts/gpu/check.sh build first (same warm machine)"; exit 1; }
PPL_TOKENS=${QUANT_PPL_TOKENS:-32768}
status=0
t_start=$(date +%s)

# 1. gpt2-xl decode
XL=/tmp/gpt2-xl-init
if [ ! -f $XL/model.safetensors ]; then
  timeout 200 "$BIN" init --config gpt2-xl --dtype fp16 --seed 0 --out $XL --tokenizer "$DATA/gpt2_tokenizer" \
    >"$OUT/init_xl.log" 2>&1 || { tail -3 "$OUT/init_xl.log"; echo "init gpt2-xl failed"; exit 1; }
fi
echo "init gpt2-xl: $(( $(date +%s) - t_start )) s"
: >"$OUT/quant_runs.jsonl"
for q in none int8 int4 nf4; do
  group=""; [ $q = int4 ] && group="--quant-group 64"
  for b in 1 8; do
    # shellcheck disable=SC2086
    timeout 120 "$BIN" run --model $XL --variant flash --dtype fp16 --device cuda --dataset synthetic \
      --prompt-tokens 512 --max-new-tokens 64 --min-new-tokens 64 --batch-size $b --limit $((b * 3)) --warmup 1 \
      --quant $q $group --quiet --out /tmp/rq.json >/dev/null 2>"$OUT/quant_run_err.txt" \
      || { echo "run --quant $q B$b failed: $(tail -1 "$OUT/quant_run_err.txt")"; status=1; continue; }
    python3 -c "import json; print(json.dumps(json.load(open('/tmp/rq.json'))))" >>"$OUT/quant_runs.jsonl"
  done
done
echo "decode runs: $(( $(date +%s) - t_start )) s"

# 2. perplexity + KL on the gpt2 shape
SMALL=${QUANT_PPL_MODEL:-/tmp/gpt2-init}
if [ ! -f "$SMALL/model.safetensors" ]; then
  "$BIN" init --config gpt2 --seed 0 --out "$SMALL" --tokenizer "$DATA/gpt2_tokenizer" 2>/dev/null
fi
: >"$OUT/quant_ppl.jsonl"
for q in none int8 int4 nf4; do
  kl="--kl-against none"; [ $q = none ] && kl=""
  # shellcheck disable=SC2086
  timeout 90 "$BIN" run --task perplexity --model "$SMALL" --variant flash --dtype fp16 --device cuda \
    --limit "$PPL_TOKENS" --quant $q $kl --quiet --out /tmp/rp.json >/dev/null 2>"$OUT/quant_ppl_err.txt" \
    || { echo "perplexity --quant $q failed: $(tail -1 "$OUT/quant_ppl_err.txt")"; status=1; continue; }
  python3 -c "import json; print(json.dumps(json.load(open('/tmp/rp.json'))))" >>"$OUT/quant_ppl.jsonl"
done
echo "perplexity runs: $(( $(date +%s) - t_start )) s"

# 3. the bitsandbytes peer
if [ -d .carry/bnb/bitsandbytes ]; then export PYTHONPATH=$PWD/.carry/bnb${PYTHONPATH:+:$PYTHONPATH}; fi
if python3 -c 'import bitsandbytes' 2>"$OUT/bnb_import.txt"; then
  timeout 150 python3 scripts/gpu/bnb_peer.py --model $XL --prompt-tokens 512 --new-tokens 64 --batch 1,8 --repeats 3 \
    --out "$OUT/bnb_peer.json" >"$OUT/bnb_peer.log" 2>&1 || { tail -3 "$OUT/bnb_peer.log"; status=1; }
else
  echo "bitsandbytes does not import here ($(tail -1 "$OUT/bnb_import.txt")): no peer timing"
fi
echo "bitsandbytes peer: $(( $(date +%s) - t_start )) s"

python3 - "$OUT" <<'PY' || status=1
import json, os, sys, torch
sys.path.insert(0, "scripts/gpu")
from copy_bandwidth import copy_bandwidth  # the floor's denominator
out = sys.argv[1]
bw = copy_bandwidth()
torch.cuda.empty_cache()
runs = [json.loads(l) for l in open(f"{out}/quant_runs.jsonl")]
fmt = lambda r: (r.get("quant") or {}).get("format", "none")
fp16 = {r["config"]["batch_size"]: r["latency"]["tpot"]["p50"] for r in runs if fmt(r) == "none"}
decode = []
for r in runs:
    b, tpot, wb = r["config"]["batch_size"], r["latency"]["tpot"]["p50"], r["memory"]["weights_bytes"]
    floor = wb / bw * 1e3
    decode.append({"quant": fmt(r), "group": (r.get("quant") or {}).get("group"), "batch": b, "tpot_p50_ms": tpot,
                   "vs_fp16": tpot / fp16[b] if b in fp16 else None, "weights_bytes": wb, "floor_ms": floor,
                   "vs_floor": tpot / floor, "linear": (r.get("linear") or {}), "decode_mode": r["decode"]["mode"]})
ppl = []
for line in open(f"{out}/quant_ppl.jsonl"):
    r = json.loads(line); qd = r["quality"]
    ppl.append({"quant": fmt(r), "perplexity": qd["perplexity"], "scored_tokens": qd["scored_tokens"],
                "mean_kl_vs_unquantized": (qd.get("kl_against") or {}).get("mean_kl"),
                "weights_bytes": r["memory"]["weights_bytes"]})
peer = None
if os.path.exists(f"{out}/bnb_peer.json"):
    peer = json.load(open(f"{out}/bnb_peer.json"))
result = {"gpu": torch.cuda.get_device_name(), "copy_bandwidth_Bps": bw, "decode_gpt2_xl": decode,
          "perplexity_gpt2": ppl, "bitsandbytes_peer": peer}
json.dump(result, open(f"{out}/quant_bench.json", "w"), indent=1)
md = [f"# Weight-only quantization on {result['gpu']} (copy bandwidth {bw / 1e12:.2f} TB/s)", "",
      "## gpt2-xl shape, fp16, flash + CUDA-graph decode, 512-token prompt + 64 new tokens", "",
      "| quant | B | tpot p50 ms | vs fp16 | weights MB | floor ms | vs floor | linear (decode) |", "|---|---|---|---|---|---|---|---|"]
for d in decode:
    q = d["quant"] + (f" g{d['group']}" if d["group"] else "")
    vs = f"{d['vs_fp16']:.3f}x" if d["vs_fp16"] else "-"
    md.append(f"| {q} | {d['batch']} | {d['tpot_p50_ms']:.3f} | {vs} | {d['weights_bytes'] / 1e6:.0f} | "
              f"{d['floor_ms']:.3f} | {d['vs_floor']:.2f}x | {d['linear'].get('decode')} |")
md += ["", "## gpt2 shape, WikiText-2 perplexity and mean KL to the unquantized model", "",
       "| quant | perplexity | mean KL nats/token | tokens | weights MB |", "|---|---|---|---|---|"]
for p in ppl:
    kl = f"{p['mean_kl_vs_unquantized']:.3e}" if p["mean_kl_vs_unquantized"] is not None else "-"
    md.append(f"| {p['quant']} | {p['perplexity']:.3f} | {kl} | {p['scored_tokens']} | {p['weights_bytes'] / 1e6:.0f} |")
if peer:
    md += ["", f"## transformers + bitsandbytes {peer['versions'].get('bitsandbytes')}, same checkpoint and call", "",
           "| format | B | ms/token | vs gptbench same format |", "|---|---|---|---|"]
    ours = {(d["quant"], d["batch"]): d["tpot_p50_ms"] for d in decode}
    for row in peer["rows"]:
        if "error" in row:
            md.append(f"| {row['format']} | - | {row['error']} | - |")
            continue
        mine = ours.get(({"fp16": "none"}.get(row["format"], row["format"]), row["batch"]))
        vs = f"ours {mine / row['ms_per_token']:.2f}x" if mine else "-"
        md.append(f"| {row['format']} | {row['batch']} | {row['ms_per_token']:.3f} | {vs} |")
open(f"{out}/quant_bench.md", "w").write("\n".join(md) + "\n")
print("\n".join(md))
PY
echo "quant_bench: $(( $(date +%s) - t_start )) s, status $status"
exit $status
