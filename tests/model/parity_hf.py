#!/usr/bin/env python3
"""Parity of gptbench's LibTorch GPT-2 with Hugging Face transformers (the oracle).

For each checkpoint (one written by transformers' save_pretrained, one sharded, one written by
`gptbench init`):
  * fp32 logits of a left-padded batch equal transformers' logits of each prompt run alone:
    max |diff| <= 1e-4 over every real position;
  * greedy continuations of --new-tokens tokens equal transformers' generate, for each prompt alone
    and for the left-padded batch;
  * transformers' from_pretrained loads the `gptbench init` checkpoint with no missing, unexpected
    or mismatched keys.
With --precision-report FILE (GPU run) it also writes how often fp16/bf16 greedy tokens agree with
fp32 and the largest logit differences.

Usage: parity_hf.py [--device cpu|cuda] [--shape tiny|gpt2] [--new-tokens 32] [--precision-report F]
Env: GPTBENCH_BIN (the gptbench binary), GPTBENCH_DATA_DIR (for the tokenizer files).
"""
import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import torch
from safetensors.torch import load_file
from transformers import GPT2Config, GPT2LMHeadModel

from hf_support import check, copy_tokenizer, failures, run, tokenizer_dir

HERE = Path(__file__).resolve().parent
PROMPTS = [
    "The quick brown fox jumps over the lazy dog.",
    "In 2024, researchers at the university announced",
    "Hello",
    "Summarize: the central bank raised interest rates by a quarter point on Tuesday, citing inflation.\nTL;DR:",
]
LOGIT_TOL = 1e-4
def encode(bin_, model_dir, texts):
    """Token ids from gptbench's own tokenizer (its parity is proven by the tokenizer tests)."""
    out = json.loads(run([bin_, "generate", "--model", model_dir, "--device", "cpu", "--max-new-tokens", "1",
                          "--json"] + sum([["--prompt", t] for t in texts], [])))
    return [r["prompt_ids"] for r in out["results"]]


def compare_logits(bin_, model_dir, hf, prompts, device, dtype="fp32"):
    with tempfile.TemporaryDirectory() as tmp:
        ids_file, out_file = Path(tmp) / "ids.json", Path(tmp) / "logits.safetensors"
        ids_file.write_text(json.dumps(prompts))
        run([bin_, "logits", "--model", model_dir, "--ids", ids_file, "--out", out_file, "--device", device,
             "--dtype", dtype])
        ours = load_file(str(out_file))["logits"]
    t = max(len(p) for p in prompts)
    worst = 0.0
    for b, p in enumerate(prompts):
        with torch.no_grad():
            ref = hf(torch.tensor([p], device=device)).logits[0].float().cpu()
        mine = ours[b, t - len(p):]
        worst = max(worst, (mine - ref).abs().max().item())
    return worst, ours


def hf_greedy(hf, prompt, new_tokens, device):
    with torch.no_grad():
        out = hf.generate(torch.tensor([prompt], device=device), attention_mask=torch.ones(1, len(prompt),
                          dtype=torch.long, device=device), max_new_tokens=new_tokens, do_sample=False,
                          eos_token_id=50256, pad_token_id=50256)
    gen = out[0, len(prompt):].tolist()
    return gen[:gen.index(50256)] if 50256 in gen else gen


def our_greedy(bin_, model_dir, texts, new_tokens, device, dtype="fp32"):
    out = json.loads(run([bin_, "generate", "--model", model_dir, "--device", device, "--dtype", dtype,
                          "--max-new-tokens", str(new_tokens), "--json"] + sum([["--prompt", t] for t in texts], [])))
    return [r["generated_ids"] for r in out["results"]], out["kernel"]


def check_checkpoint(label, bin_, model_dir, device, new_tokens, rng):
    hf = GPT2LMHeadModel.from_pretrained(model_dir).to(device).eval()
    vocab = hf.config.vocab_size
    # Random ids of uneven lengths (left padding up to 30 positions) plus real text.
    lengths = [5, 17, 31, 2]
    random_prompts = [torch.randint(0, vocab, (n,), generator=rng).tolist() for n in lengths]
    worst, _ = compare_logits(bin_, model_dir, hf, random_prompts, device)
    check(worst <= LOGIT_TOL, f"{label}: fp32 logits of a left-padded batch vs transformers, max |diff| {worst:.2e}"
          f" <= {LOGIT_TOL:.0e}")
    text_ids = encode(bin_, model_dir, PROMPTS)
    worst, _ = compare_logits(bin_, model_dir, hf, text_ids, device)
    check(worst <= LOGIT_TOL, f"{label}: fp32 logits of the text prompts vs transformers, max |diff| {worst:.2e}")

    batch, kernel = our_greedy(bin_, model_dir, PROMPTS, new_tokens, device)
    for i, text in enumerate(PROMPTS):
        ref = hf_greedy(hf, text_ids[i], new_tokens, device)
        alone, _ = our_greedy(bin_, model_dir, [text], new_tokens, device)
        check(alone[0] == ref, f"{label}: greedy {new_tokens} tokens of prompt {i} alone == transformers "
              f"({len(ref)} tokens)")
        check(batch[i] == ref, f"{label}: greedy {new_tokens} tokens of prompt {i} in a left-padded batch == "
              f"transformers")
    return hf, text_ids


def precision_report(bin_, model_dir, hf, text_ids, device, new_tokens, path):
    _, ref32 = compare_logits(bin_, model_dir, hf, text_ids, device, "fp32")
    greedy32, _ = our_greedy(bin_, model_dir, PROMPTS, new_tokens, device, "fp32")
    report = {"device": torch.cuda.get_device_name() if device == "cuda" else "cpu", "prompts": len(PROMPTS),
              "new_tokens": new_tokens}
    t = ref32.shape[1]
    mask = torch.zeros(ref32.shape[:2], dtype=torch.bool)
    for b, p in enumerate(text_ids):
        mask[b, t - len(p):] = True
    for dtype in ("fp16", "bf16"):
        _, low = compare_logits(bin_, model_dir, hf, text_ids, device, dtype)
        diff = (low - ref32).abs()[mask]
        argmax_agree = (low.argmax(-1) == ref32.argmax(-1))[mask].float().mean().item()
        greedy, _ = our_greedy(bin_, model_dir, PROMPTS, new_tokens, device, dtype)
        same = sum(sum(1 for a, b in zip(g, r) if a == b) for g, r in zip(greedy, greedy32))
        total = sum(len(r) for r in greedy32)
        first_div = [next((k for k, (a, b) in enumerate(zip(g, r)) if a != b), None) for g, r in zip(greedy, greedy32)]
        report[dtype] = {"max_abs_logit_diff": diff.max().item(), "mean_abs_logit_diff": diff.mean().item(),
                         "prompt_argmax_agreement": argmax_agree, "greedy_token_agreement": same / max(total, 1),
                         "first_divergence_step": first_div}
        print(f"info {dtype}: max |logit diff| {diff.max().item():.3e}, argmax agreement {argmax_agree:.4f}, "
              f"greedy agreement {same}/{total}, first divergence {first_div}", flush=True)
    Path(path).write_text(json.dumps(report, indent=2) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--shape", default="tiny", choices=["tiny", "gpt2"])
    ap.add_argument("--new-tokens", type=int, default=32)
    ap.add_argument("--precision-report")
    args = ap.parse_args()
    bin_ = os.environ.get("GPTBENCH_BIN") or sys.exit("GPTBENCH_BIN is not set")
    rng = torch.Generator().manual_seed(1234)
    torch.manual_seed(1234)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.shape == "tiny":
            cfg = GPT2Config(n_layer=2, n_head=4, n_embd=64, n_positions=128, vocab_size=50257)
            init_cfg = str(HERE / "configs" / "small_h6.json")
        else:
            cfg = GPT2Config.from_json_file(str(tokenizer_dir() / "config.json"))
            init_cfg = "gpt2"
        # 1. A checkpoint written by transformers, whole and sharded.
        hf_dir, shard_dir, init_dir = tmp / "hf", tmp / "hf_sharded", tmp / "init"
        model = GPT2LMHeadModel(cfg)
        model.save_pretrained(hf_dir)
        model.save_pretrained(shard_dir, max_shard_size="2MB" if args.shape == "tiny" else "100MB")
        check((shard_dir / "model.safetensors.index.json").exists(), "transformers wrote a sharded checkpoint")
        for d in (hf_dir, shard_dir):
            copy_tokenizer(d)
        # 2. A checkpoint written by gptbench init.
        run([bin_, "init", "--config", init_cfg, "--seed", "7", "--out", init_dir, "--tokenizer", tokenizer_dir()])
        _, info = GPT2LMHeadModel.from_pretrained(init_dir, output_loading_info=True)
        problems = {k: v for k, v in info.items() if v}
        check(not problems, f"transformers loads the gptbench init checkpoint cleanly ({problems or 'no issues'})")

        hf, text_ids = check_checkpoint("transformers checkpoint", bin_, str(hf_dir), args.device, args.new_tokens, rng)
        check_checkpoint("sharded checkpoint", bin_, str(shard_dir), args.device, args.new_tokens, rng)
        check_checkpoint("gptbench init checkpoint", bin_, str(init_dir), args.device, args.new_tokens, rng)
        if args.precision_report:
            precision_report(bin_, str(hf_dir), hf, text_ids, args.device, args.new_tokens, args.precision_report)
    print(f"{len(failures)} failed" if failures else "all parity checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
