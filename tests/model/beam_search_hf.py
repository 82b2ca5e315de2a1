#!/usr/bin/env python3
"""Beam search of `gptbench generate --num-beams N` equals transformers' generate (the oracle).

For random GPT-2 checkpoints saved by transformers (fp32), and every combination of
  num_beams 2 and 5, no_repeat_ngram_size 0 and 2, length_penalty 1.0, 0.6 and 2.0,
  early_stopping False, True and "never",
the generated tokens (and whether they stopped at EOS) must equal transformers'
generate(num_beams=..., do_sample=False, ..., eos_token_id=50256, pad_token_id=50256)
  * for a left-padded batch of 3 prompts (transformers gets the same batch, left-padded with 50256
    and an attention mask), and
  * for one prompt alone.
Two checkpoints: one as initialised (EOS is rare), and one where EOS often ranks near the top
(its embedding row points along ln_f's bias), so hypotheses finish by EOS before max_new_tokens and
the finished-hypothesis bookkeeping, the length penalty and the stopping rules all matter. A few runs
add min_new_tokens, and one runs the student preset (5 beams, no-repeat 2-grams, 100 new tokens).
The script prints how many kept hypotheses and best results ended with EOS, and fails unless some best
results of the EOS-prone checkpoint did.

Usage: beam_search_hf.py [--device cpu|cuda] [--shape tiny|gpt2] [--new-tokens N] [--grid full|cover]
Env: GPTBENCH_BIN (the gptbench binary), GPTBENCH_DATA_DIR (for the tokenizer files).
"""
import argparse
import itertools
import json
import os
import sys
import tempfile
from pathlib import Path

import torch
from transformers import GPT2Config, GPT2LMHeadModel

from hf_support import ENV, check, copy_tokenizer, failures, run, tokenizer_dir

EOS = 50256
PROMPTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Summarize: the central bank raised interest rates by a quarter point on Tuesday, citing inflation.\nTL;DR:",
    "Hello",
]
EARLY_STOPPING = {"false": False, "true": True, "never": "never"}
def save_checkpoint(model, path):
    model.save_pretrained(path)
    copy_tokenizer(path)


def make_eos_prone(model, scale):
    """Points EOS's (tied) embedding row along ln_f's bias: its logit gets a large, input-dependent boost."""
    with torch.no_grad():
        u = torch.randn(model.config.n_embd)
        u /= u.norm()
        model.transformer.ln_f.bias.copy_(u)
        model.transformer.wte.weight[EOS].copy_(scale * u)
    return model


def strip(gen):
    """Generated ids up to the first EOS, and whether there was one (the fill after EOS is EOS too)."""
    return (gen[:gen.index(EOS)], True) if EOS in gen else (gen, False)


def ours(bin_, model_dir, texts, s, device):
    out = json.loads(run([bin_, "generate", "--model", model_dir, "--device", device, "--json",
                          "--num-beams", s["num_beams"], "--no-repeat-ngram-size", s["ngram"],
                          "--length-penalty", repr(s["length_penalty"]), "--early-stopping", s["early"],
                          "--min-new-tokens", s["min_new"], "--max-new-tokens", s["new_tokens"]]
                         + sum([["--prompt", t] for t in texts], [])))
    return [r["prompt_ids"] for r in out["results"]], [(r["generated_ids"], r["stopped_at_eos"]) for r in out["results"]]


def hf_generate(hf, prompt_ids, s, device, num_return=1):
    """transformers on a left-padded batch (pad = EOS, as the student code runs it). Returns, per
    prompt, its num_return best kept hypotheses, best first."""
    t = max(len(p) for p in prompt_ids)
    ids = torch.tensor([[EOS] * (t - len(p)) + p for p in prompt_ids], device=device)
    mask = torch.tensor([[0] * (t - len(p)) + [1] * len(p) for p in prompt_ids], device=device)
    with torch.no_grad():
        out = hf.generate(ids, attention_mask=mask, num_beams=s["num_beams"], do_sample=False,
                          no_repeat_ngram_size=s["ngram"], length_penalty=s["length_penalty"],
                          early_stopping=EARLY_STOPPING[s["early"]], min_new_tokens=s["min_new"],
                          max_new_tokens=s["new_tokens"], num_return_sequences=num_return,
                          eos_token_id=EOS, pad_token_id=EOS)
    rows = [strip(row[t:].tolist()) for row in out]
    return [rows[i:i + num_return] for i in range(0, len(rows), num_return)]


def describe(s):
    return (f"beams {s['num_beams']} ngram {s['ngram']} lp {s['length_penalty']} early {s['early']}"
            f" min_new {s['min_new']} new {s['new_tokens']}")


def check_setting(label, bin_, model_dir, hf, s, device, stats):
    ids, batch = ours(bin_, model_dir, PROMPTS, s, device)
    # All num_beams kept hypotheses, to count those that ended with EOS; the first is the result.
    kept = hf_generate(hf, ids, s, device, num_return=s["num_beams"])
    ref = [k[0] for k in kept]
    for i in range(len(PROMPTS)):
        check(batch[i] == ref[i], f"{label}: {describe(s)}: prompt {i} in a left-padded batch of {len(PROMPTS)} == "
              f"transformers ({len(ref[i][0])} tokens{', EOS' if ref[i][1] else ''})")
        if batch[i] != ref[i]:
            print(f"     ours {batch[i]}\n     hf   {ref[i]}")
    # One prompt alone (no padding), rotating through the prompts.
    k = stats["runs"] % len(PROMPTS)
    _, alone = ours(bin_, model_dir, [PROMPTS[k]], s, device)
    ref_alone = hf_generate(hf, [ids[k]], s, device)[0]
    check(alone[0] == ref_alone[0], f"{label}: {describe(s)}: prompt {k} alone == transformers")
    if ref_alone[0] != ref[k]:
        print(f"info transformers' batched and single results differ for prompt {k} (a near-tie under padding)")
    stats["runs"] += 1
    stats["kept"] += sum(len(k) for k in kept)
    stats["kept_eos"] += sum(1 for k in kept for _, e in k if e)
    stats["best"] += len(ref)
    stats["best_eos"] += sum(1 for _, e in ref if e)


def settings(new_tokens, grid):
    """Every combination ("full"), or ("cover") every length_penalty x early_stopping pair with the
    num_beams x no_repeat_ngram_size pairs taken in turn, for the slower gpt2 shape."""
    beams_ngram = list(itertools.product([2, 5], [0, 2]))
    rules = list(itertools.product([1.0, 0.6, 2.0], ["false", "true", "never"]))
    if grid == "full":
        combos = [(b, n, lp, e) for b, n in beams_ngram for lp, e in rules]
    else:
        combos = [beams_ngram[i % len(beams_ngram)] + rule for i, rule in enumerate(rules)]
    for beams, ngram, lp, early in combos:
        yield {"num_beams": beams, "ngram": ngram, "length_penalty": lp, "early": early, "min_new": 0,
               "new_tokens": new_tokens}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--shape", default="tiny", choices=["tiny", "gpt2"])
    ap.add_argument("--new-tokens", type=int, default=40)
    ap.add_argument("--grid", choices=["full", "cover"], help="default: full for tiny, cover for gpt2")
    args = ap.parse_args()
    grid = args.grid or ("full" if args.shape == "tiny" else "cover")
    bin_ = os.environ.get("GPTBENCH_BIN") or sys.exit("GPTBENCH_BIN is not set")
    if args.device == "cpu":
        # One thread for both sides: on a small shared machine, multi-threaded tiny ops spend most of
        # their time waiting for each other (25x slower here). Results do not depend on it.
        torch.set_num_threads(1)
        ENV["OMP_NUM_THREADS"] = "1"
    torch.manual_seed(1234)
    if args.shape == "tiny":
        cfg = GPT2Config(n_layer=2, n_head=4, n_embd=64, n_positions=256, vocab_size=50257)
    else:
        cfg = GPT2Config.from_json_file(str(tokenizer_dir() / "config.json"))
    # Found by trial: EOS then ends many hypotheses within a few dozen tokens, but not all of them.
    eos_scale = 0.4 if args.shape == "tiny" else 2.5
    with tempfile.TemporaryDirectory() as tmp:
        checkpoints = []
        for label, eos_prone in (("random checkpoint", False), ("EOS-prone checkpoint", True)):
            model = GPT2LMHeadModel(cfg).eval()
            if eos_prone:
                make_eos_prone(model, eos_scale)
            path = Path(tmp) / label.split()[0]
            save_checkpoint(model, path)
            hf = GPT2LMHeadModel.from_pretrained(path).to(args.device).eval()
            checkpoints.append((label, str(path), hf))

        for label, path, hf in checkpoints:
            stats = {"runs": 0, "kept": 0, "kept_eos": 0, "best": 0, "best_eos": 0}
            extra = [dict(s, min_new=m) for s, m in zip(
                [{"num_beams": 5, "ngram": 2, "length_penalty": 1.0, "early": "false", "new_tokens": args.new_tokens},
                 {"num_beams": 2, "ngram": 0, "length_penalty": 0.6, "early": "true", "new_tokens": args.new_tokens},
                 {"num_beams": 5, "ngram": 0, "length_penalty": 2.0, "early": "never", "new_tokens": args.new_tokens}],
                [3, 6, 10])]
            student = {"num_beams": 5, "ngram": 2, "length_penalty": 1.0, "early": "false", "min_new": 0,
                       "new_tokens": 100}
            for s in list(settings(args.new_tokens, grid)) + extra + [student]:
                check_setting(label, bin_, path, hf, s, args.device, stats)
            print(f"info {label}: {stats['runs']} settings; best results ending with EOS {stats['best_eos']}/"
                  f"{stats['best']}; kept hypotheses ending with EOS {stats['kept_eos']}/{stats['kept']}", flush=True)
            if "EOS" in label:
                check(stats["best_eos"] > 0,
                      f"{label}: some best results end with EOS (the finished-hypothesis rules decided them)")
    print(f"{len(failures)} failed" if failures else "all beam search checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
