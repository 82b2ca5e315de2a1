#!/usr/bin/env python3
"""LoRA adapters cross between gptbench and PEFT (peft + transformers as the oracle), fp32 on the CPU.

* ours -> PEFT: `gptbench train --lora-rank` a few steps on a tiny random GPT-2 (`gptbench init`), with
  the default targets and with issue 18's aliases (qkv,fc_proj); peft.PeftModel.from_pretrained loads
  the adapter folder and its logits equal `gptbench logits --adapter` merged and --adapter-unmerged
  (<= 1e-4), and differ from the base's (the adapter is not a no-op).
* PEFT -> ours: adapters made by peft.get_peft_model with random A and B (init_lora_weights=False) and
  saved by save_pretrained load in `gptbench logits --adapter`, merged and unmerged, with PEFT's logits:
  on GPT-2 (Conv1D, fan_in_fan_out) and on a tiny Llama written by transformers (q/k/v and gate/up are
  row ranges of our fused projections), all seven targets and a subset (q_proj, v_proj: k's rows between);
  and a LoRA that gptbench trained on that Llama (q_proj, v_proj, gate_proj) loads in PEFT.

Env: GPTBENCH_BIN, GPTBENCH_DATA_DIR.
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
from peft import LoraConfig, PeftModel, get_peft_model
from safetensors.torch import load_file
from transformers import GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "cli"))
from check_log import check, finish  # noqa: E402

BIN = os.environ.get("GPTBENCH_BIN") or sys.exit("GPTBENCH_BIN is not set")
DATA = Path(os.environ.get("GPTBENCH_DATA_DIR", ""))
TINY = Path(__file__).resolve().parent / "configs" / "tiny.json"
LOGIT_TOL = 1e-4
PROMPTS = [[464, 2068, 7586, 21831, 18045, 625, 262], [50, 11, 13, 169, 373, 90, 7]]  # equal lengths: no padding


def run(args):
    res = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    if res.returncode != 0:
        print(res.stderr[-2000:])
        raise SystemExit(f"command failed: {' '.join(str(a) for a in args[:3])} ...")
    return res


def ours(model_dir, adapter, flags, tmp):
    ids, out = tmp / "ids.json", tmp / "logits.safetensors"
    ids.write_text(json.dumps(PROMPTS))
    run([BIN, "logits", "--model", model_dir, "--ids", ids, "--out", out, "--device", "cpu", "--adapter", adapter]
        + flags)
    return load_file(str(out))["logits"]


def theirs(model):
    with torch.no_grad():
        return model(torch.tensor(PROMPTS)).logits.float()


def compare(model_dir, adapter, peft_model, base_logits, tmp, label):
    ref = theirs(peft_model)
    check((ref - base_logits).abs().max().item() > 1e-3, f"{label}: the adapter changes PEFT's logits")
    for flags, name in (([], "merged"), (["--adapter-unmerged"], "unmerged")):
        diff = (ours(model_dir, adapter, flags, tmp) - ref).abs().max().item()
        check(diff <= LOGIT_TOL, f"{label}: gptbench logits --adapter ({name}) = PEFT's", f"max |diff| {diff:.2e}")


def train_lora(base_dir, out, flags, tmp):
    text = tmp / "t.txt"
    text.write_text("A small corpus for a few steps of LoRA training, repeated. " * 80)
    run([BIN, "train", "--model", base_dir, "--dataset", "text", "--data-path", text, "--seq-len", 32,
         "--batch-size", 4, "--steps", 4, "--warmup-steps", 1, "--lr", 1e-2, "--device", "cpu", "--eval-samples", 1,
         "--quiet", "--lora-rank", 4, "--lora-alpha", 8, "--out", out] + flags)


def ours_to_peft(tmp):
    base_dir = tmp / "gpt2"
    run([BIN, "init", "--config", TINY, "--out", base_dir, "--tokenizer", DATA / "gpt2_tokenizer"])
    for targets in ([], ["--lora-targets", "qkv,fc_proj"]):
        out = tmp / ("trained" + "_".join(targets[1:]).replace(",", "_"))
        train_lora(base_dir, out, targets, tmp)
        base = GPT2LMHeadModel.from_pretrained(base_dir).eval()
        base_logits = theirs(base)
        peft_model = PeftModel.from_pretrained(base, out / "adapter").eval()
        label = "ours -> PEFT, gpt2, targets " + (targets[1] if targets else "default")
        cfg = peft_model.peft_config["default"]
        expect = {"attn.c_attn", "mlp.c_proj"} if targets else {"c_attn", "c_proj", "c_fc"}
        check(set(cfg.target_modules) == expect, f"{label}: target_modules", str(cfg.target_modules))
        compare(base_dir, out / "adapter", peft_model, base_logits, tmp, label)


def tiny_llama():
    torch.manual_seed(0)
    return LlamaForCausalLM(LlamaConfig(hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
                                        num_key_value_heads=2, vocab_size=50304, max_position_embeddings=128,
                                        tie_word_embeddings=False))


def ours_to_peft_llama(tmp):
    """Trained by gptbench on a Llama written by transformers (the GPT-2 tokenizer's ids fit its vocabulary):
    q, v and gate are row ranges of our fused projections, each with its own pair."""
    base_dir = tmp / "llama_trained_base"
    tiny_llama().save_pretrained(base_dir)
    out = tmp / "llama_trained"
    train_lora(base_dir, out, ["--tokenizer", DATA / "gpt2_tokenizer", "--lora-targets", "q_proj,v_proj,gate_proj"], tmp)
    base = LlamaForCausalLM.from_pretrained(base_dir).eval()
    base_logits = theirs(base)
    peft_model = PeftModel.from_pretrained(base, out / "adapter").eval()
    compare(base_dir, out / "adapter", peft_model, base_logits, tmp, "ours -> PEFT, llama, q_proj,v_proj,gate_proj")


def peft_to_ours(model, model_dir, targets, tmp, label, fan_in_fan_out=False):
    model.save_pretrained(model_dir)
    base_logits = theirs(model.eval())
    torch.manual_seed(1)
    config = LoraConfig(r=4, lora_alpha=12, lora_dropout=0.0, target_modules=targets, init_lora_weights=False,
                        fan_in_fan_out=fan_in_fan_out, task_type="CAUSAL_LM")
    peft_model = get_peft_model(model, config).eval()
    adapter = tmp / (model_dir.name + "_peft_adapter")
    peft_model.save_pretrained(adapter)
    check((adapter / "adapter_model.safetensors").exists(), f"{label}: PEFT saved safetensors")
    compare(model_dir, adapter, peft_model, base_logits, tmp, label)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ours_to_peft(tmp)

        run([BIN, "init", "--config", TINY, "--out", tmp / "gpt2_b", "--tokenizer", DATA / "gpt2_tokenizer"])
        gpt2 = GPT2LMHeadModel.from_pretrained(tmp / "gpt2_b")
        peft_to_ours(gpt2, tmp / "gpt2_b_saved", ["c_attn", "c_proj", "c_fc"], tmp, "PEFT -> ours, gpt2",
                     fan_in_fan_out=True)

        for name, targets in (("all", ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]),
                              ("qv", ["q_proj", "v_proj"])):
            peft_to_ours(tiny_llama(), tmp / f"llama_{name}", targets, tmp, f"PEFT -> ours, llama, {name}")
        ours_to_peft_llama(tmp)
    finish()


if __name__ == "__main__":
    main()
