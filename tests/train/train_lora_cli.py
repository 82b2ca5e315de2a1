#!/usr/bin/env python3
"""`gptbench train --lora-rank` end to end on the tiny random checkpoint (CPU, fp32).

LoRA trains (the loss falls) with only the adapters in the optimizer; the report names the mode,
the trainable (adapter) and frozen (base) counts and the lora block (base_dtype fp32 on the CPU); the adapter folder is in --out
(adapter_config.json + adapter_model.safetensors), no full checkpoint is written; a run repeated, and
a run stopped at step 3 and resumed, give bitwise the same loss curve, adapter and optimizer state
(with --lora-dropout, whose masks are reseeded per step); QLoRA (--quant int8 on the base) trains;
`run --task perplexity --adapter` merged and --adapter-unmerged agree and report the adapter block;
bad input (a LoRA flag without --lora-rank, --quant without it, an unknown target, --adapter-unmerged
without --adapter, a broken adapter folder) gets one line and the right exit code.

--gpu: bf16 LoRA steps on CUDA (sdpa, dropout 0.1): the loss falls, the report says the frozen
projections are held in bf16, and the adapter loads in `run` (skips without a CUDA device, saying so).

Env: GPTBENCH_BIN, GPTBENCH_DATA_DIR.
"""
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_cli import (BIN, DATA, curve, expect_error, gpu_tiny_and_data, reproducibility_checks,  # noqa: E402
                       run_checks, summary_jsonl, train)
from tiny_checkpoint import tiny_checkpoint  # noqa: E402  (train_cli put tests/cli on the path)
from check_log import check  # noqa: E402


def gptbench(args, code=0):
    res = subprocess.run([BIN] + [str(a) for a in args], capture_output=True, text=True)
    if res.returncode != code:
        print(res.stderr[-2000:])
    return res


def one_line_error(res, code, needles, label):
    lines = [l for l in res.stderr.splitlines() if l.strip()]
    ok = res.returncode == code and len(lines) == 1 and all(n in lines[0] for n in needles)
    check(ok and "terminate called" not in res.stderr, label, lines[-1] if lines else "<no stderr>")


def report_of(out):
    path = out / "train_report.json"
    return json.loads(path.read_text()) if path.exists() else {}


def perplexity(model, text, adapter_flags, out, device="cpu", dtype="fp32"):
    res = gptbench(["run", "--task", "perplexity", "--model", model, "--data", text, "--device", device,
                    "--dtype", dtype, "--out", out, "--no-progress"] + adapter_flags)
    return json.loads(Path(out).read_text()) if res.returncode == 0 else {}


def cpu_checks(tmp):
    tiny = tiny_checkpoint(BIN, DATA, tmp / "tiny")
    data = tmp / "sum.jsonl"
    summary_jsonl(data, 60)
    text = tmp / "text.txt"
    text.write_text("The council met on the river budget while the market closed early. " * 40)
    common = ["--model", tiny, "--dataset", "jsonl", "--data-path", data, "--seq-len", 96, "--batch-size", 3,
              "--steps", 6, "--warmup-steps", 1, "--lr", 1e-2, "--log-interval", 2, "--eval-interval", 3,
              "--eval-samples", 4, "--device", "cpu", "--seed", 5, "--lora-rank", 4, "--lora-alpha", 8,
              "--lora-dropout", 0.1]

    # Repeat and resume, bit for bit: loss curve, adapter, optimizer state.
    r = reproducibility_checks(common, tmp / "repro", "lora (dropout 0.1)",
                               files=("adapter/adapter_model.safetensors", "train_state.safetensors"))
    straight = tmp / "repro" / "straight"
    a = curve(straight)
    check(not (straight / "model.safetensors").exists(), "lora: no full checkpoint written, only the adapter")
    losses = [x["loss"] for x in a if x["type"] == "train"]
    check(len(losses) == 6 and losses[-1] < losses[0], "lora: the loss falls",
          f"{losses[0]:.4f} -> {losses[-1]:.4f}" if losses else "no curve")

    lora = r.get("lora", {})
    model = r.get("model", {})
    sites = 8  # 2 layers x c_attn, attn.c_proj, c_fc, mlp.c_proj
    # rank 4: c_attn 4*(64+192), c_proj 4*(64+64), c_fc 4*(64+256), mlp.c_proj 4*(256+64), per layer
    params = 2 * 4 * ((64 + 192) + (64 + 64) + (64 + 256) + (256 + 64))
    check(r.get("training", {}).get("mode") == "lora" and r.get("schema_minor") == 6,
          "lora report: training.mode lora, schema_minor 6", f"{r.get('training', {}).get('mode')}")
    check(model.get("trained_parameters") == params and lora.get("parameters") == params
          and model.get("frozen_parameters") == model.get("parameters"),
          "lora report: trainable = the adapters, frozen = the base",
          f"trained {model.get('trained_parameters')} (expect {params}), frozen {model.get('frozen_parameters')} "
          f"of {model.get('parameters')}")
    check(lora.get("rank") == 4 and lora.get("alpha") == 8 and lora.get("dropout") == 0.1 and lora.get("sites") == sites
          and lora.get("targets") == "c_attn,c_proj,c_fc" and lora.get("adapter_dir") == str(straight / "adapter")
          and lora.get("adapter_bytes") == (straight / "adapter" / "adapter_model.safetensors").stat().st_size
          and lora.get("base_quant") is None and lora.get("base_dtype") == "fp32",
          "lora report: the lora block", json.dumps(lora)[:300])
    cfg = json.loads((straight / "adapter" / "adapter_config.json").read_text())
    check(cfg.get("peft_type") == "LORA" and cfg.get("r") == 4 and cfg.get("fan_in_fan_out") is True
          and cfg.get("base_model_name_or_path") == str(tiny), "lora: adapter_config.json in PEFT's format")

    # The adapter in `run`: merged and unmerged agree; the base differs.
    adapter = straight / "adapter"
    merged = perplexity(tiny, text, ["--adapter", adapter], tmp / "ppl_merged.json")
    unmerged = perplexity(tiny, text, ["--adapter", adapter, "--adapter-unmerged"], tmp / "ppl_unmerged.json")
    base = perplexity(tiny, text, [], tmp / "ppl_base.json")
    pm = merged.get("quality", {}).get("mean_nll", 0)
    pu = unmerged.get("quality", {}).get("mean_nll", 1)
    pb = base.get("quality", {}).get("mean_nll", 0)
    check(abs(pm - pu) < 1e-5 and abs(pm - pb) > 1e-4, "run --adapter: merged = unmerged, not the base",
          f"merged {pm:.6f} unmerged {pu:.6f} base {pb:.6f}")
    block = merged.get("adapter", {})
    check(block.get("merged") is True and unmerged.get("adapter", {}).get("merged") is False
          and block.get("sites") == sites and block.get("parameters") == params and block.get("rank") == 4
          and "adapter" not in base, "run report: the adapter block", json.dumps(block)[:300])

    # QLoRA: the base int8, frozen; unmerged at inference.
    q = tmp / "qlora"
    res = train(common[:-2] + ["--quant", "int8", "--out", q])
    qr = report_of(q)
    ql = [x["loss"] for x in curve(q) if x["type"] == "train"] if res.returncode == 0 else []
    check(res.returncode == 0 and qr.get("lora", {}).get("base_quant") == "int8" and len(ql) == 6 and ql[-1] < ql[0],
          "qlora (--quant int8): trains, the report names the base's quantization",
          f"{ql[0]:.4f} -> {ql[-1]:.4f}" if ql else res.stderr[-300:])
    one_line_error(gptbench(["run", "--task", "perplexity", "--model", tiny, "--data", text, "--device", "cpu",
                             "--quant", "int8", "--adapter", q / "adapter", "--no-progress"]), 2,
                   ["cannot merge", "--adapter-unmerged"], "run: merging into a quantized base is refused")
    qu = perplexity(tiny, text, ["--quant", "int8", "--adapter", q / "adapter", "--adapter-unmerged"], tmp / "ppl_q.json")
    check(qu.get("adapter", {}).get("merged") is False and qu.get("quant", {}).get("format") == "int8",
          "run: a quantized base with an unmerged adapter")

    # Bad input.
    expect_error(["--model", tiny, "--out", tmp / "e1", "--lora-alpha", 4], 2, "--lora-alpha needs --lora-rank",
                 label="a LoRA flag without --lora-rank is refused")
    expect_error(["--model", tiny, "--out", tmp / "e2", "--quant", "int4", "--device", "cpu"], 2,
                 "--quant int4", "--lora-rank", label="--quant without --lora-rank is refused")
    expect_error(common + ["--out", tmp / "e3", "--lora-targets", "q_proj"], 2,
                 "--lora-targets: \"q_proj\" matches no linear layer", label="an unknown LoRA target is refused")
    one_line_error(gptbench(["logits", "--model", tiny, "--ids", tmp / "ids.json", "--out", tmp / "l.safetensors",
                             "--adapter-unmerged"]), 2, ["--adapter-unmerged: needs --adapter"],
                   "--adapter-unmerged without --adapter is refused")
    broken = tmp / "broken"
    broken.mkdir()
    (broken / "adapter_config.json").write_text(json.dumps({**cfg, "use_dora": True}))
    (broken / "adapter_model.safetensors").write_bytes((adapter / "adapter_model.safetensors").read_bytes())
    one_line_error(gptbench(["run", "--task", "perplexity", "--model", tiny, "--data", text, "--device", "cpu",
                             "--adapter", broken, "--no-progress"]), 1,
                   [str(broken / "adapter_config.json"), "\"use_dora\""], "run --adapter: a DoRA adapter is refused")


def gpu_checks(tmp):
    tiny, data = gpu_tiny_and_data(tmp)
    text = tmp / "text.txt"
    text.write_text("The council met on the river budget while the market closed early. " * 40)
    out = tmp / "gpu"
    res = train(["--model", tiny, "--dataset", "jsonl", "--data-path", data, "--seq-len", 96, "--batch-size", 4,
                 "--steps", 8, "--warmup-steps", 1, "--lr", 1e-2, "--log-interval", 2, "--eval-samples", 4,
                 "--device", "cuda", "--precision", "bf16", "--variant", "sdpa", "--allow-variant-change",
                 "--lora-rank", 8, "--lora-dropout", 0.1, "--out", out])
    losses = [x["loss"] for x in curve(out) if x["type"] == "train"] if res.returncode == 0 else []
    check(len(losses) == 8 and losses[-1] < losses[0], "gpu bf16 lora (dropout 0.1): the loss falls",
          f"{losses[0]:.4f} -> {losses[-1]:.4f}" if losses else res.stderr[-300:])
    base_dtype = report_of(out).get("lora", {}).get("base_dtype")
    check(base_dtype == "bf16", "gpu bf16 lora: the frozen projections held in bf16 (lora.base_dtype)", str(base_dtype))
    for flags in ([], ["--adapter-unmerged"]):
        r = perplexity(tiny, text, ["--adapter", out / "adapter"] + flags, tmp / "ppl.json", device="cuda", dtype="bf16")
        check(r.get("adapter", {}).get("sites") == 8, f"gpu: the adapter loads in run {' '.join(flags)}",
              json.dumps(r.get("adapter", {}))[:200])


if __name__ == "__main__":
    run_checks(cpu_checks, gpu_checks)
