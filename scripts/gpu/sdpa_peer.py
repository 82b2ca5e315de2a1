#!/usr/bin/env python3
"""Times torch SDPA's cuDNN and FlashAttention-2 backends at the shapes of the sm_90 flash lab
(kernels/lab/flash_sm90_lab.cu), with the lab's method: CUDA events, L2 flushed before each run,
median of 30 runs after 3 warm-ups, causal, H 12, TFLOP/s = 4*B*H*T^2*D/2 / time. Run it in the
same device call as the lab; with --lab-log it prints one table of the lab's sm90/sm80 lines next
to these numbers (ratios against cuDNN and FA2). Causal only: neither backend takes ALiBi or a window.
Usage: sdpa_peer.py [--lab-log FILE] [--out FILE.json]
"""
import argparse
import json
import re
import sys

import torch
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.nn.functional import scaled_dot_product_attention

HEADS = 12
# (dtype, D, B, T): the lab's causal shapes.
SHAPES = [(dt, 64, b, t) for dt in ("fp16", "bf16") for b, t in ((16, 1024), (4, 4096), (1, 16384))] + [
    ("fp16", 128, b, t) for b, t in ((16, 1024), (4, 4096), (1, 16384))]
BACKENDS = {"cudnn": SDPBackend.CUDNN_ATTENTION, "fa2": SDPBackend.FLASH_ATTENTION}


def median_ms(fn, flush, runs=30):
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times = []
    for it in range(3 + runs):
        flush.fill_(it)
        start.record()
        fn()
        end.record()
        end.synchronize()
        if it >= 3:
            times.append(start.elapsed_time(end))
    times.sort()
    return times[len(times) // 2]


def time_backends():
    props = torch.cuda.get_device_properties(0)
    flush = torch.empty(2 * props.L2_cache_size, dtype=torch.uint8, device="cuda")
    rows = []
    for dt, d, b, t in SHAPES:
        dtype = torch.float16 if dt == "fp16" else torch.bfloat16
        q, k, v = (torch.randn(b, HEADS, t, d, device="cuda", dtype=dtype) for _ in range(3))
        flops = 4.0 * b * HEADS * t * t * d / 2
        row = {"dtype": dt, "d": d, "b": b, "t": t}
        for name, backend in BACKENDS.items():
            try:
                with sdpa_kernel([backend]):
                    ms = median_ms(lambda: scaled_dot_product_attention(q, k, v, is_causal=True), flush)
                row[name] = {"ms": ms, "tflops": flops / (ms * 1e-3) * 1e-12}
            except RuntimeError as err:  # a backend that refuses the shape is reported, not fatal
                row[name] = {"error": str(err).splitlines()[0][:120]}
        rows.append(row)
        del q, k, v
    return {"gpu": props.name, "torch": torch.__version__, "cudnn": torch.backends.cudnn.version(), "rows": rows}


LAB_LINE = re.compile(r"time (\w+)\s+D(\d+)\s+(\w+)\s+W(\d+)\s+B(\d+)\s+H\d+ T(\d+)\s+sm90 ([\d.]+) ms\s+([\d.]+) TF\s+"
                      r"sm80 ([\d.]+) ms\s+([\d.]+) TF")


def print_table(result, lab_log):
    lab = {}
    if lab_log:
        for line in open(lab_log):
            m = LAB_LINE.search(line)
            if m:
                dt, d, pol, w, b, t = m.group(1), int(m.group(2)), m.group(3), int(m.group(4)), int(m.group(5)), int(m.group(6))
                lab[(dt, d, pol, w, b, t)] = (float(m.group(7)), float(m.group(8)), float(m.group(9)), float(m.group(10)))
    print(f"== {result['gpu']}, torch {result['torch']}, cuDNN {result['cudnn']} (TFLOP/s, causal count)")
    print("| dtype | D | policy | B | T | sm90 | sm80 | cuDNN | FA2 | sm90/sm80 | sm90/cuDNN | sm90/FA2 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    peers = {(r["dtype"], r["d"], r["b"], r["t"]): r for r in result["rows"]}
    keys = sorted(set(lab) | {(dt, d, "causal", 0, b, t) for dt, d, b, t in peers},
                  key=lambda k: (k[0], k[1], k[2], k[3], k[5]))
    causal_ms = {(k[0], k[1], k[4], k[5]): v[0] for k, v in lab.items() if k[2] == "causal"}
    for key in keys:
        dt, d, pol, w, b, t = key
        ours = lab.get(key)
        peer = peers.get((dt, d, b, t)) if pol == "causal" else None
        tf = lambda x: f"{x['tflops']:.1f}" if x and "tflops" in x else "-"
        cud = peer["cudnn"] if peer else None
        fa2 = peer["fa2"] if peer else None
        ratio = lambda other: f"{ours[1] / other['tflops']:.2f}x" if ours and other and "tflops" in other else "-"
        extra = ""
        if ours and pol != "causal":
            base = causal_ms.get((dt, d, b, t))
            if base:
                extra = f" (our causal / this: {base / ours[0]:.2f}x)"
        print(f"| {dt} | {d} | {pol}{f' W{w}' if w else ''} | {b} | {t} | {f'{ours[1]:.1f}' if ours else '-'} | "
              f"{f'{ours[3]:.1f}' if ours else '-'} | {tf(cud)} | {tf(fa2)} | "
              f"{f'{ours[2] / ours[0]:.2f}x' if ours else '-'} | {ratio(cud)} | {ratio(fa2)} |{extra}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lab-log", help="output of flash_sm90_lab (its 'time' lines)")
    ap.add_argument("--out", help="write the SDPA timings as JSON here")
    args = ap.parse_args()
    if not torch.cuda.is_available():
        print("sdpa_peer.py: no CUDA device", file=sys.stderr)
        return 1
    result = time_backends()
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)
    print_table(result, args.lab_log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
