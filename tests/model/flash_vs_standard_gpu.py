#!/usr/bin/env python3
"""Full model, GPU: `flash` and its `standard` counterpart give identical greedy tokens over 64
tokens on a gpt2-shaped checkpoint in fp16 (fp32 accumulation), or every divergence is explained
by near-tied logits: at the first differing step, both variants' top-2 logits are within twice
the largest logit difference between the two variants on that same prefix.

Pairs: flash/standard, flash+alibi/alibi, flash+sparse/sparse (W=32, so decode goes far past the
window), each for single prompts and a left-padded batch, with each prefill kernel the device runs
(--flash-arch sm80, and sm90 on an sm_90 device). Writes a JSON report with --report.
Env: GPTBENCH_BIN, GPTBENCH_DATA_DIR.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
from safetensors.torch import load_file

BIN = os.environ.get("GPTBENCH_BIN") or sys.exit("GPTBENCH_BIN is not set")
DATA = Path(os.environ.get("GPTBENCH_DATA_DIR", ""))
PROMPTS = [
    "The quick brown fox jumps over the lazy dog.",
    "In 2024, researchers at the university announced a new method for",
    "Breaking news:",
    "Summarize: the central bank raised interest rates by a quarter point on Tuesday, citing inflation.\nTL;DR:",
]
PAIRS = [("flash", "standard", []), ("flash+alibi", "alibi", []),
         ("flash+sparse", "sparse", ["--window", "32"])]


def run(args):
    res = subprocess.run([BIN] + [str(a) for a in args], capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, args))}\n{res.stderr}")
    return res.stdout


def generate(model, variant, extra, prompts, n):
    out = json.loads(run(["generate", "--model", model, "--variant", variant, "--dtype", "fp16", "--device", "cuda",
                          "--max-new-tokens", n, "--min-new-tokens", n, "--json"] + extra +
                         sum([["--prompt", p] for p in prompts], [])))
    return [r["prompt_ids"] for r in out["results"]], [r["generated_ids"] for r in out["results"]], out["kernel"]


def last_logits(model, variant, extra, ids, tmp):
    f, o = Path(tmp) / "ids.json", Path(tmp) / "logits.safetensors"
    f.write_text(json.dumps([ids]))
    run(["logits", "--model", model, "--variant", variant, "--dtype", "fp16", "--device", "cuda", "--ids", f,
         "--out", o] + extra)
    return load_file(str(o))["logits"][0, -1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", help="checkpoint (default: gptbench init --config gpt2 in a temp dir)")
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--report")
    args = ap.parse_args()
    failures, report = [], []
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        if not model:
            model = str(Path(tmp) / "gpt2")
            run(["init", "--config", "gpt2", "--seed", "3", "--out", model, "--tokenizer", DATA / "gpt2_tokenizer"])
        archs = ["sm80", "sm90"] if torch.cuda.get_device_capability()[0] == 9 else ["sm80"]
        for (flash, ref, extra), arch in ((p, a) for p in PAIRS for a in archs):
            flash_extra = extra + ["--flash-arch", arch]
            for batch in ([p] for p in PROMPTS), [PROMPTS]:
                for prompts in batch:
                    pids, got, kernel = generate(model, flash, flash_extra, prompts, args.new_tokens)
                    _, want, _ = generate(model, ref, extra, prompts, args.new_tokens)
                    for i, (g, w) in enumerate(zip(got, want)):
                        row = {"flash": flash, "flash_arch": arch, "reference": ref, "batch": len(prompts), "prompt": i,
                               "kernel": kernel, "identical": g == w}
                        if g != w:
                            k = next(j for j, (a, b) in enumerate(zip(g, w)) if a != b)
                            prefix = pids[i] + w[:k]
                            lf = last_logits(model, flash, flash_extra, prefix, tmp)
                            lr = last_logits(model, ref, extra, prefix, tmp)
                            noise = (lf - lr).abs().max().item()
                            top = torch.topk(lr, 2).values
                            gap = (top[0] - top[1]).item()
                            row.update({"first_divergence": k, "top2_gap": gap, "max_logit_diff": noise,
                                        "explained_by_near_tie": gap <= 2 * noise})
                            if gap > 2 * noise:
                                failures.append(f"{flash} ({arch}) vs {ref}, batch {len(prompts)}, prompt {i}")
                        report.append(row)
                        status = "identical" if g == w else (
                            f"diverge at {row['first_divergence']}: top-2 gap {row['top2_gap']:.2e}, "
                            f"logit noise {row['max_logit_diff']:.2e} -> "
                            f"{'near tie' if row['explained_by_near_tie'] else 'UNEXPLAINED'}")
                        print(f"{'ok  ' if row.get('explained_by_near_tie', True) else 'FAIL'} {flash:13s} {arch} vs "
                              f"{ref:9s} B{len(prompts)} prompt {i}: {status}", flush=True)
    if args.report:
        Path(args.report).write_text(json.dumps(report, indent=2) + "\n")
    identical = sum(r["identical"] for r in report)
    print(f"{identical}/{len(report)} sequences identical; {len(failures)} unexplained divergences")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
