#!/usr/bin/env python3
"""The bitsandbytes peer of `gptbench run --quant` (issue 17): transformers generating greedily with the
checkpoint's linear layers quantized by bitsandbytes (NF4 with double quantization, compute fp16: the
format gptbench's nf4 reproduces; and LLM.int8()), timed per decode token at each batch size with CUDA
events: (generate(prompt + N) - prefill) / N, medians over repeats. Also the fp16 model (sdpa) as the
baseline of the same call.

Usage: bnb_peer.py --model DIR [--formats fp16,nf4,int8] [--batch 1,8] [--prompt-tokens 512] [--new-tokens 64]
                   [--repeats 5] --out FILE.json
"""
import argparse
import json
import sys
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from hf_generate_peer import timed  # noqa: E402  CUDA-event medians after two warm-up calls


def median_ms(fn, repeats):
    return timed(fn, repeats)["median_ms"]


def load(model_dir, fmt):
    kwargs = {"dtype": torch.float16, "attn_implementation": "sdpa"}
    if fmt != "fp16":
        from transformers import BitsAndBytesConfig
        if fmt == "nf4":
            kwargs["quantization_config"] = BitsAndBytesConfig(
                load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                bnb_4bit_compute_dtype=torch.float16)
        else:
            kwargs["quantization_config"] = BitsAndBytesConfig(load_in_8bit=True)
        kwargs["device_map"] = {"": 0}
        return AutoModelForCausalLM.from_pretrained(model_dir, **kwargs).eval()
    return AutoModelForCausalLM.from_pretrained(model_dir, **kwargs).cuda().eval()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--formats", default="fp16,nf4,int8", help="comma list of fp16, nf4, int8")
    ap.add_argument("--batch", default="1,8")
    ap.add_argument("--prompt-tokens", type=int, default=512)
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    gen = torch.Generator().manual_seed(0)
    rows = []
    for fmt in args.formats.split(","):
        if fmt not in ("fp16", "nf4", "int8"):
            ap.error(f"--formats: unknown format {fmt!r} (fp16, nf4, int8)")
        try:
            model = load(args.model, fmt)
        except Exception as e:  # bitsandbytes missing or without a library for this CUDA
            rows.append({"format": fmt, "error": f"{type(e).__name__}: {e}"[:300]})
            continue
        weight_bytes = model.get_memory_footprint()
        eos = model.config.eos_token_id if model.config.eos_token_id is not None else 0
        eos = eos[0] if isinstance(eos, list) else eos
        for b in [int(x) for x in args.batch.split(",")]:
            ids = torch.randint(0, model.config.vocab_size, (b, args.prompt_tokens), generator=gen).cuda()
            ids[ids == eos] = (eos + 1) % model.config.vocab_size
            with torch.inference_mode():
                prefill = median_ms(lambda: model(ids), args.repeats)
                full = median_ms(lambda: model.generate(ids, max_new_tokens=args.new_tokens,
                                                        min_new_tokens=args.new_tokens, do_sample=False,
                                                        pad_token_id=eos), args.repeats)
            rows.append({"format": fmt, "batch": b, "prefill_ms": prefill, "generate_ms": full,
                         "ms_per_token": (full - prefill) / args.new_tokens, "weight_bytes": weight_bytes})
            print(json.dumps(rows[-1]), flush=True)
        del model
        torch.cuda.empty_cache()
    import importlib.metadata as md
    versions = {}
    for pkg in ("torch", "transformers", "bitsandbytes"):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = None
    with open(args.out, "w") as f:
        json.dump({"model": args.model, "prompt_tokens": args.prompt_tokens, "new_tokens": args.new_tokens,
                   "gpu": torch.cuda.get_device_name(), "versions": versions, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
