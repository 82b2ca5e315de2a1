#!/usr/bin/env python3
"""A sweep cell's memory is its own, on the GPU: after cells that captured CUDA graphs (flash,
flash+alibi at batch 8: prefill and decode graphs on side streams), a later sdpa cell starts with
nothing allocated (report memory.resident_at_start_bytes <= 1 MiB) and peaks within 2 % of the same
run alone in a fresh process. The sample sweep of 2026-11-23 failed this: its cells after the flash
cells peaked 200-470 MiB higher than alone (bench/results/sweep_h100_2026-11-23.md).

Exits 77 (ctest SKIP_RETURN_CODE) with a message where there is no CUDA device.
Env: GPTBENCH_BIN, GPTBENCH_DATA_DIR.
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

BIN = os.environ.get("GPTBENCH_BIN") or sys.exit("GPTBENCH_BIN is not set")
DATA = Path(os.environ.get("GPTBENCH_DATA_DIR", ""))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "cli"))
from tiny_checkpoint import tokenizer_dir  # noqa: E402
from check_log import check, failures, finish  # noqa: E402
MIB = 2**20


def gptbench(args):
    res = subprocess.run([BIN] + [str(a) for a in args], capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"gptbench {' '.join(map(str, args[:2]))} failed ({res.returncode}): {res.stderr.strip()[-400:]}")
    return res


def main():
    import torch
    if not torch.cuda.is_available():
        print("SKIP: no CUDA device on this machine: this test measures GPU memory")
        sys.exit(77)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model = tmp / "gpt2"
        gptbench(["init", "--config", "gpt2", "--seed", "0", "--out", model, "--tokenizer", tokenizer_dir(DATA)])
        shape = ["--device", "cuda", "--dataset", "synthetic", "--batches", "2", "--warmup", "1"]
        cell = ["--batch-sizes", "8", "--seq-lens", "256", "--new-tokens", "16", "--dtypes", "fp16"]
        out = tmp / "s.jsonl"
        gptbench(["sweep", "--model", model, "--variants", "flash,flash+alibi,sdpa", *cell, *shape, "--out", out,
                  "--no-summary", "--quiet"])
        cells = {}
        for line in out.read_text().splitlines():
            r = json.loads(line)
            if r.get("record") == "cell":
                cells[r["cell"]["variant"]] = r
        check(set(cells) == {"flash", "flash+alibi", "sdpa"} and all(r["status"] == "ok" for r in cells.values()),
              "three cells ran", json.dumps({v: r["status"] for v, r in cells.items()}))
        if failures:
            sys.exit(1)
        check(cells["flash"]["report"]["decode"]["mode"] == "cuda_graph", "the flash cell captured CUDA graphs",
              cells["flash"]["report"]["decode"]["mode"])
        for variant in ("flash+alibi", "sdpa"):
            resident = cells[variant]["report"]["memory"]["resident_at_start_bytes"]
            check(resident <= MIB, f"{variant}: nothing of the earlier cells is still allocated at its start",
                  f"{resident / MIB:.1f} MiB")

        alone = tmp / "alone.json"
        gptbench(["run", "--model", model, "--variant", "sdpa", "--dtype", "fp16", "--device", "cuda",
                  "--dataset", "synthetic", "--prompt-tokens", "256", "--max-new-tokens", "16", "--min-new-tokens", "16",
                  "--batch-size", "8", "--limit", "16", "--warmup", "1", "--quiet", "--out", alone])
        peak_alone = json.loads(alone.read_text())["memory"]["peak_allocated_bytes"]
        peak_sweep = cells["sdpa"]["report"]["memory"]["peak_allocated_bytes"]
        check(abs(peak_sweep - peak_alone) <= 0.02 * peak_alone,
              "sdpa after the graph cells peaks as it does alone (within 2 %)",
              f"sweep {peak_sweep / MIB:.1f} MiB, alone {peak_alone / MIB:.1f} MiB")
    finish()


if __name__ == "__main__":
    main()
