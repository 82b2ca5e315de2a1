"""Shared by the report, compare and reader CLI tests: the binary under test (GPTBENCH_BIN), a tiny
random checkpoint, and quick synthetic `gptbench run` reports of it on the CPU."""
import json
import os
import subprocess
import sys
from pathlib import Path

BIN = os.environ.get("GPTBENCH_BIN") or sys.exit("GPTBENCH_BIN is not set")
TINY = Path(__file__).resolve().parent.parent / "model" / "configs" / "tiny.json"
# A run of 4 synthetic 8-token prompts, 4 new tokens each, in batches of 2: seconds on the CPU.
RUN_FLAGS = ["--dataset", "synthetic", "--prompt-tokens", 8, "--max-new-tokens", 4, "--min-new-tokens", 4,
             "--limit", 4, "--batch-size", 2, "--device", "cpu", "--quiet"]


def gptbench(*args):
    return subprocess.run([BIN, *map(str, args)], capture_output=True, text=True)


def init_tiny(out, *extra):
    """`gptbench init` of the tiny config into `out` (extra flags, e.g. --tokenizer DIR)."""
    subprocess.run([BIN, "init", "--config", TINY, "--out", out, *extra], check=True, capture_output=True)


def run_variants(model, folder, variants=("standard", "sdpa")):
    """Runs each variant on `model`, writing folder/<variant>.json; returns the reports by variant."""
    for variant in variants:
        res = gptbench("run", "--model", model, *RUN_FLAGS, "--variant", variant, "--out", folder / f"{variant}.json")
        if res.returncode != 0:
            sys.exit(f"gptbench run {variant} failed: {res.stderr}")
    return {v: json.loads((folder / f"{v}.json").read_text()) for v in variants}
