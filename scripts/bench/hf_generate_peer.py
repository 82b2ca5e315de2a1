#!/usr/bin/env python3
"""The peer for gptbench run's latency target: Hugging Face transformers generating greedily on
the same checkpoint in the same call. Times prefill (one forward over the prompt) and a full
generate (prompt + N new tokens, EOS suppressed) with CUDA events, for the attention
implementations asked (eager, sdpa), and optionally sdpa with a static cache + torch.compile
("sdpa+compile", transformers' fastest documented generate path). Any causal-LM family that
AutoModelForCausalLM reads (gpt2, llama, mistral).

Usage: hf_generate_peer.py --model DIR [--prompt-tokens 512] [--new-tokens 64] [--batch 1,8]
                           [--dtype fp16] [--impls eager,sdpa[,sdpa+compile]] [--repeats 10] --out FILE.json
"""
import argparse
import json
import statistics
import time

import torch
from transformers import AutoModelForCausalLM


def timed(fn, repeats):
    times = []
    for _ in range(2):
        fn()  # warm-up
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return {"median_ms": statistics.median(times), "min_ms": min(times), "samples_ms": times}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--prompt-tokens", type=int, default=512)
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--batch", default="1,8")
    ap.add_argument("--dtype", default="fp16", choices=["fp16", "bf16", "fp32"])
    ap.add_argument("--impls", default="eager,sdpa", help="comma list of eager, sdpa, sdpa+compile")
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    dtype = {"fp16": torch.float16, "bf16": torch.bfloat16, "fp32": torch.float32}[args.dtype]
    gen = torch.Generator().manual_seed(0)
    results = []
    for impl in args.impls.split(","):
        if impl not in ("eager", "sdpa", "sdpa+compile"):
            ap.error(f"--impls: unknown implementation {impl!r} (eager, sdpa, sdpa+compile)")
        compiled = impl == "sdpa+compile"
        model = AutoModelForCausalLM.from_pretrained(args.model, dtype=dtype,
                                                     attn_implementation=impl.split("+")[0]).cuda().eval()
        vocab = model.config.vocab_size
        eos = model.config.eos_token_id if model.config.eos_token_id is not None else 0
        eos = eos[0] if isinstance(eos, list) else eos
        # A static cache makes generate compile the decode forward itself (transformers'
        # _valid_auto_compile_criteria); the warm-up calls of timed() absorb the compilation.
        extra = {"cache_implementation": "static"} if compiled else {}
        for b in [int(x) for x in args.batch.split(",")]:
            ids = torch.randint(0, vocab - 1, (b, args.prompt_tokens), generator=gen).cuda()
            mask = torch.ones_like(ids)
            with torch.inference_mode():
                prefill = timed(lambda: model(ids, attention_mask=mask), args.repeats)
                full = timed(lambda: model.generate(ids, attention_mask=mask, max_new_tokens=args.new_tokens,
                                                    min_new_tokens=args.new_tokens, do_sample=False,
                                                    pad_token_id=eos, eos_token_id=eos, **extra), args.repeats)
            per_token = (full["median_ms"] - prefill["median_ms"]) / max(args.new_tokens - 1, 1)
            row = {"attn_implementation": impl, "batch": b, "prompt_tokens": args.prompt_tokens,
                   "new_tokens": args.new_tokens, "dtype": args.dtype, "prefill": prefill, "generate": full,
                   "decode_ms_per_token": per_token}
            results.append(row)
            print(f"hf {impl:6s} B{b}: prefill {prefill['median_ms']:.2f} ms, generate {full['median_ms']:.1f} ms, "
                  f"~{per_token:.3f} ms/token", flush=True)
        del model
        torch.cuda.empty_cache()
    out = {"peer": "transformers", "transformers": __import__("transformers").__version__, "torch": torch.__version__,
           "gpu": torch.cuda.get_device_name(), "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "results": results}
    with open(args.out, "w") as f:
        json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
