#!/usr/bin/env python3
"""Parity of gptbench's LibTorch Llama/Mistral with transformers' LlamaForCausalLM / MistralForCausalLM (the oracle).

For each random checkpoint written by transformers' save_pretrained (GQA ratios 1, 4, 8; tied and untied
lm_head; linear and llama3 rope scaling; Mistral with a window shorter than the prompts; one sharded):
  * fp32 logits of a left-padded batch equal transformers' logits of each prompt run alone:
    max |diff| <= 1e-4 over every real position (standard and sdpa attention; --variants);
  * Mistral: transformers' window W is our window W exactly (W + 1 gives other logits);
  * greedy continuations equal transformers' generate, for each prompt alone and for the left-padded batch,
    which also equals transformers' own left-padded batch (position_ids from the attention mask);
then:
  * `llama_tool init --config llama-tiny|mistral-tiny` checkpoints load in transformers with no missing,
    unexpected or mismatched keys, and give equal logits;
  * a checkpoint loaded and saved again by gptbench (fused q/k/v and gate/up split back) holds transformers'
    tensors bit for bit.
--shape 1b (GPU): a TinyLlama-1.1B-shaped and a Mistral-shaped 1B-class model, fp32 as above and bf16
(logits max |diff| and argmax agreement with transformers' bf16, reported and bounded).

Usage: llama_parity_hf.py [--device cpu|cuda] [--shape tiny|1b] [--new-tokens 12] [--variants standard,sdpa,...]
Env: GPTBENCH_LLAMA_TOOL (the tests/model/llama_tool binary).
"""
import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import torch
from safetensors.torch import load_file
from transformers import LlamaConfig, LlamaForCausalLM, MistralConfig, MistralForCausalLM

from hf_support import check, failures, run

LOGIT_TOL = 1e-4
LENGTHS = [5, 17, 31, 2]
EOS = 2


def tiny_cases():
    base = dict(hidden_size=64, intermediate_size=96, num_hidden_layers=2, vocab_size=300, max_position_embeddings=256,
                eos_token_id=EOS, bos_token_id=1)
    return [
        ("llama gqa 1 untied", LlamaConfig(num_attention_heads=4, num_key_value_heads=4, **base)),
        ("llama gqa 4 tied", LlamaConfig(num_attention_heads=8, num_key_value_heads=2, tie_word_embeddings=True, **base)),
        ("llama gqa 8 llama3 rope", LlamaConfig(num_attention_heads=8, num_key_value_heads=1, rope_parameters=dict(
            rope_type="llama3", rope_theta=500000.0, factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
            original_max_position_embeddings=16), **base)),
        ("llama gqa 2 linear rope head_dim 32", LlamaConfig(num_attention_heads=4, num_key_value_heads=2, head_dim=32,
            rope_parameters=dict(rope_type="linear", rope_theta=10000.0, factor=2.0), **base)),
        ("mistral gqa 4 window 8", MistralConfig(num_attention_heads=8, num_key_value_heads=2, sliding_window=8, **base)),
    ]


def big_cases():
    base = dict(vocab_size=32000, eos_token_id=EOS, bos_token_id=1, rms_norm_eps=1e-5)
    return [
        ("tinyllama-1.1b shape", LlamaConfig(hidden_size=2048, intermediate_size=5632, num_hidden_layers=22,
                                             num_attention_heads=32, num_key_value_heads=4,
                                             max_position_embeddings=2048, **base)),
        ("mistral 1b-class window 16", MistralConfig(hidden_size=2048, intermediate_size=7168, num_hidden_layers=16,
                                                     num_attention_heads=16, num_key_value_heads=4, sliding_window=16,
                                                     max_position_embeddings=4096, **base)),
    ]


def model_class(config):
    return MistralForCausalLM if config.model_type == "mistral" else LlamaForCausalLM


def tool(*args):
    return run([os.environ["GPTBENCH_LLAMA_TOOL"], *args])


def our_logits(model_dir, prompts, device, tmp, variant="standard", dtype="fp32"):
    ids, out = tmp / "ids.json", tmp / "logits.safetensors"
    ids.write_text(json.dumps(prompts))
    tool("logits", "--model", model_dir, "--ids", ids, "--out", out, "--device", device, "--variant", variant,
         "--dtype", dtype)
    return load_file(str(out))["logits"]


def our_greedy(model_dir, prompts, new_tokens, device, tmp):
    ids, out = tmp / "ids.json", tmp / "tokens.json"
    ids.write_text(json.dumps(prompts))
    tool("generate", "--model", model_dir, "--ids", ids, "--out", out, "--new-tokens", str(new_tokens),
         "--device", device)
    return json.loads(out.read_text())["tokens"]


def until_eos(tokens):
    return tokens[:tokens.index(EOS)] if EOS in tokens else tokens


def hf_logits_alone(hf, prompts, device):
    with torch.no_grad():
        return [hf(torch.tensor([p], device=device)).logits[0].float().cpu() for p in prompts]


def hf_greedy(hf, prompts, new_tokens, device):
    """Greedy tokens of a left-padded batch (transformers derives position_ids from the attention mask)."""
    t = max(len(p) for p in prompts)
    ids = torch.tensor([[0] * (t - len(p)) + p for p in prompts], device=device)
    mask = torch.tensor([[0] * (t - len(p)) + [1] * len(p) for p in prompts], device=device)
    with torch.no_grad():
        out = hf.generate(ids, attention_mask=mask, max_new_tokens=new_tokens, do_sample=False, eos_token_id=EOS,
                          pad_token_id=0)
    return [until_eos(row[t:].tolist()) for row in out]


def max_logit_diff(ours, refs, prompts):
    t = ours.shape[1]
    return max((ours[b, t - len(p):] - refs[b]).abs().max().item() for b, p in enumerate(prompts))


def check_window_off_by_one(label, model_dir, hf, prompts, args, tmp):
    """The test can fail: the same Mistral weights with a window one wider no longer match transformers."""
    wider = tmp / "window_plus_one"
    wider.mkdir(exist_ok=True)
    config = json.loads((model_dir / "config.json").read_text())
    config["sliding_window"] += 1
    (wider / "config.json").write_text(json.dumps(config))
    (wider / "model.safetensors").write_bytes((model_dir / "model.safetensors").read_bytes())
    worst = max_logit_diff(our_logits(wider, prompts, args.device, tmp), hf_logits_alone(hf, prompts, args.device),
                           prompts)
    check(worst > 100 * LOGIT_TOL, f"{label}: window W+1 differs from transformers' window W (max |diff| {worst:.2e})")


def check_checkpoint(label, model_dir, hf, prompts, args, tmp):
    refs = hf_logits_alone(hf, prompts, args.device)
    for variant in args.variants.split(","):
        worst = max_logit_diff(our_logits(model_dir, prompts, args.device, tmp, variant), refs, prompts)
        check(worst <= LOGIT_TOL, f"{label}: fp32 logits ({variant}) of a left-padded batch vs transformers alone, "
              f"max |diff| {worst:.2e} <= {LOGIT_TOL:.0e}")
    alone_ref = [hf_greedy(hf, [p], args.new_tokens, args.device)[0] for p in prompts]
    batch_ref = hf_greedy(hf, prompts, args.new_tokens, args.device)
    check(batch_ref == alone_ref, f"{label}: transformers' own left-padded batch equals its prompts alone")
    batch = our_greedy(model_dir, prompts, args.new_tokens, args.device, tmp)
    for i, p in enumerate(prompts):
        alone = our_greedy(model_dir, [p], args.new_tokens, args.device, tmp)[0]
        check(alone == alone_ref[i], f"{label}: greedy tokens of prompt {i} alone == transformers ({len(alone)} tokens)")
        check(batch[i] == alone_ref[i], f"{label}: greedy tokens of prompt {i} in a left-padded batch == transformers")


def check_bf16(label, model_dir, hf, prompts, args, tmp):
    hf16 = hf.to(torch.bfloat16)
    refs = hf_logits_alone(hf16, prompts, args.device)
    ours = our_logits(model_dir, prompts, args.device, tmp, "standard", "bf16")
    worst = max_logit_diff(ours, refs, prompts)
    t = ours.shape[1]
    agree = sum((ours[b, t - len(p):].argmax(-1) == refs[b].argmax(-1)).sum().item() for b, p in enumerate(prompts))
    total = sum(len(p) for p in prompts)
    print(f"info {label} bf16: max |logit diff| vs transformers bf16 {worst:.3e}, argmax agreement {agree}/{total}")
    check(worst <= 0.25 and agree >= 0.9 * total, f"{label}: bf16 logits near transformers' bf16 ({worst:.2e} <= 0.25, "
          f"argmax agreement {agree}/{total} >= 90%)")


def check_init(name, args, tmp):
    out = tmp / f"init_{name}"
    tool("init", "--config", name, "--seed", "7", "--out", out)
    config = json.loads((out / "config.json").read_text())
    cls = MistralForCausalLM if config["model_type"] == "mistral" else LlamaForCausalLM
    hf, info = cls.from_pretrained(out, output_loading_info=True, attn_implementation="eager")
    problems = {k: v for k, v in info.items() if v}
    check(not problems, f"transformers loads the `llama_tool init --config {name}` checkpoint cleanly "
          f"({problems or 'no issues'})")
    hf = hf.to(args.device).eval()
    prompts = [torch.randint(3, config["vocab_size"], (n,)).tolist() for n in LENGTHS]
    worst = max_logit_diff(our_logits(out, prompts, args.device, tmp), hf_logits_alone(hf, prompts, args.device), prompts)
    check(worst <= LOGIT_TOL, f"init {name}: fp32 logits vs transformers, max |diff| {worst:.2e}")


def check_round_trip(label, model_dir, tmp):
    out = tmp / "saved_again"
    tool("save", "--model", model_dir, "--out", out)
    theirs, ours = load_file(str(model_dir / "model.safetensors")), load_file(str(out / "model.safetensors"))
    same = theirs.keys() == ours.keys() and all(torch.equal(theirs[k], ours[k]) for k in theirs)
    check(same, f"{label}: load + save writes transformers' {len(theirs)} tensors back bit for bit")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--shape", default="tiny", choices=["tiny", "1b"])
    ap.add_argument("--new-tokens", type=int, default=12)
    ap.add_argument("--variants", default="standard,sdpa", help="attention variants of the logits checks")
    args = ap.parse_args()
    if not os.environ.get("GPTBENCH_LLAMA_TOOL"):
        sys.exit("GPTBENCH_LLAMA_TOOL is not set")
    if args.device == "cuda" and not torch.cuda.is_available():
        print("skipped: no CUDA device")
        return 77
    torch.manual_seed(1234)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for i, (label, config) in enumerate(tiny_cases() if args.shape == "tiny" else big_cases()):
            hf = model_class(config)(config).eval()
            hf.config._attn_implementation = "eager"
            model_dir = tmp / f"case{i}"
            hf.save_pretrained(model_dir)
            prompts = [torch.randint(3, config.vocab_size, (n,)).tolist() for n in LENGTHS]
            if i == 0 and args.shape == "tiny":
                sharded = tmp / "sharded"
                hf.save_pretrained(sharded, max_shard_size="100KB")
                check((sharded / "model.safetensors.index.json").exists(), "transformers wrote a sharded checkpoint")
                check_checkpoint(label + " (sharded)", sharded, hf, prompts, args, tmp)
                check_round_trip(label, model_dir, tmp)
            hf = hf.to(args.device)
            check_checkpoint(label, model_dir, hf, prompts, args, tmp)
            if config.model_type == "mistral":
                check_window_off_by_one(label, model_dir, hf, prompts, args, tmp)
            if args.device == "cuda":
                check_bf16(label, model_dir, hf, prompts, args, tmp)
            del hf
        if args.shape == "tiny":
            for name in ("llama-tiny", "mistral-tiny"):
                check_init(name, args, tmp)
    print(f"{len(failures)} failed" if failures else "all llama parity checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
