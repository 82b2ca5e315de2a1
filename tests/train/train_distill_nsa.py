#!/usr/bin/env python3
"""`gptbench train --variant nsa --distill-from` end to end on a tiny random checkpoint (CPU, fp32).

The student is the standard checkpoint itself under nsa (small blocks so that every branch is live
at --seq-len 96); the teacher is the same checkpoint as standard attention: the run finishes, the
curve has a finite positive KL per step, the report names nsa's kernel, and the written checkpoint
holds every layer's six nsa parameters, moved off their start (the compression trained), with
config.json recording the variant and its sizes.
--gpu: the same in bf16 on CUDA with heads of 64 (the window branch then runs our flash kernel, named
in the report's kernel), 2 heads, width 128.

Env: GPTBENCH_BIN, GPTBENCH_DATA_DIR.
"""
import json
import math
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_cli import curve, summary_jsonl, train  # noqa: E402
from tiny_checkpoint import tiny_checkpoint  # noqa: E402  (train_cli put tests/cli on the path)
from check_log import check, finish  # noqa: E402
from train_cli import BIN, DATA  # noqa: E402

NSA_PARAMETERS = ["nsa_cmp_k_weight", "nsa_cmp_k_pos", "nsa_cmp_v_weight", "nsa_cmp_v_pos", "nsa_gate_weight",
                  "nsa_gate_bias"]


def main():
    import torch  # the configured interpreter's (reads the written safetensors)
    from safetensors.torch import load_file

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        gpu = "--gpu" in sys.argv
        student = tiny_checkpoint(BIN, DATA, tmp / "student", {"n_head": 2, "n_embd": 128} if gpu else None)
        device = ["--device", "cuda", "--precision", "bf16"] if gpu else ["--device", "cpu"]
        head_dim = 64 if gpu else 16
        data = tmp / "sum.jsonl"
        summary_jsonl(data, 40)
        out = tmp / "nsa"
        res = train(["--model", student, "--variant", "nsa", "--nsa-block", 8, "--nsa-stride", 4,
                     "--nsa-select-block", 8, "--nsa-topk", 3, "--nsa-window", 16, "--dataset", "jsonl",
                     "--data-path", data, "--seq-len", 96, "--batch-size", 2, "--steps", 6, "--warmup-steps", 1,
                     "--lr", 1e-3, "--log-interval", 1, "--eval-interval", 6, "--eval-samples", 2, *device,
                     "--seed", 3, "--distill-from", student, "--distill-variant", "standard", "--distill-alpha", 1.0,
                     "--out", out])
        check(res.returncode == 0, "train --variant nsa --distill-from: exit 0", res.stderr.strip()[-300:])
        if res.returncode != 0:
            finish()
            return
        report = json.loads((out / "train_report.json").read_text())
        kernel = report.get("attention", {}).get("kernel", "")
        window_kernel = "flash:" if gpu else "standard"
        check(report.get("status") == "ok" and kernel.startswith("nsa_l8_d4_sel8_n3_w16:aten+" + window_kernel),
              "report ok, attention kernel named nsa", kernel)
        lines = [x for x in curve(out) if x["type"] == "train"]
        check(len(lines) == 6 and all(math.isfinite(x["kl"]) and x["kl"] > 0 for x in lines),
              "six steps with a finite positive KL to the standard teacher", str([round(x["kl"], 5) for x in lines]))
        tensors = load_file(str(out / "model.safetensors"))
        keys = [f"h.{l}.attn.{p}" for l in range(2) for p in NSA_PARAMETERS]
        missing = [k for k in keys if k not in tensors and "transformer." + k not in tensors]
        check(not missing, "the checkpoint holds every layer's nsa parameters", f"missing {missing}")
        if not missing:
            get = lambda k: tensors.get(k, tensors.get("transformer." + k))  # noqa: E731
            eye_mean = torch.eye(head_dim).repeat(1, 8) / 8  # the start: mean pooling over the block of 8
            moved = (get("h.0.attn.nsa_cmp_k_weight").float() - eye_mean).abs().max().item()
            check(moved > 0, "the compression trained (off its mean-pooling start)", f"max change {moved:.3g}")
        config = json.loads((out / "config.json").read_text())
        recorded = {"variant": "nsa", "nsa_block": 8, "nsa_stride": 4, "nsa_select_block": 8, "nsa_topk": 3,
                    "nsa_window": 16}
        check(config.get("gptbench") == recorded, "config.json records the variant nsa and the sizes it trained with",
              str(config.get("gptbench")))
    finish()


if __name__ == "__main__":
    main()
