#!/usr/bin/env python3
"""A checkpoint written by `gptbench train` loads in transformers' GPT2LMHeadModel.from_pretrained,
keeps the trained variant in its config ("gptbench": {"variant": ...}), and gives gptbench's fp32
logits (`gptbench logits`) to within 1e-4, and its weights differ from the starting checkpoint
(training really changed them).

Env: GPTBENCH_BIN, GPTBENCH_DATA_DIR.
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
from safetensors.torch import load_file
from transformers import GPT2LMHeadModel

BIN = os.environ.get("GPTBENCH_BIN") or sys.exit("GPTBENCH_BIN is not set")
DATA = Path(os.environ.get("GPTBENCH_DATA_DIR", ""))
TINY = Path(__file__).resolve().parent.parent / "model" / "configs" / "tiny.json"
LOGIT_TOL = 1e-4
failures = []


def check(ok, label):
    print(("ok   " if ok else "FAIL ") + label, flush=True)
    if not ok:
        failures.append(label)


def run(args):
    subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        init, out = tmp / "init", tmp / "trained"
        run([BIN, "init", "--config", TINY, "--out", init, "--tokenizer", DATA / "gpt2_tokenizer"])
        text = tmp / "t.txt"
        text.write_text("A small corpus for a few steps of training, repeated. " * 80)
        run([BIN, "train", "--model", init, "--dataset", "text", "--data-path", text, "--seq-len", 32, "--batch-size", 4,
             "--steps", 4, "--warmup-steps", 1, "--lr", 1e-2, "--device", "cpu", "--eval-samples", 1, "--quiet",
             "--out", out])
        cfg = json.loads((out / "config.json").read_text())
        check(cfg.get("gptbench") == {"variant": "standard"}, "config.json records the trained variant")
        hf = GPT2LMHeadModel.from_pretrained(out).eval()
        check(getattr(hf.config, "gptbench", None) == {"variant": "standard"}, "transformers keeps the variant key")
        before = load_file(str(init / "model.safetensors"))
        after = load_file(str(out / "model.safetensors"))
        key = "transformer.h.0.attn.c_attn.weight"
        check(set(before) == set(after) and not torch.equal(before[key], after[key]), "training changed the weights")
        prompts = [[464, 2068, 7586, 21831, 18045, 625, 262], [50256, 11, 13, 1169, 373]]
        ids, logits = tmp / "ids.json", tmp / "logits.safetensors"
        ids.write_text(json.dumps(prompts))
        run([BIN, "logits", "--model", out, "--ids", ids, "--out", logits, "--device", "cpu"])
        ours = load_file(str(logits))["logits"]
        t = max(len(p) for p in prompts)
        worst = 0.0
        for b, p in enumerate(prompts):
            with torch.no_grad():
                ref = hf(torch.tensor([p])).logits[0].float()
            worst = max(worst, (ours[b, t - len(p):] - ref).abs().max().item())
        check(worst <= LOGIT_TOL, f"transformers' logits equal gptbench's (max |diff| {worst:.2e})")
    print(f"{len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
