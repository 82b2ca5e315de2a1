#!/usr/bin/env python3
"""`gptbench train --distill-from` end to end on tiny random checkpoints (CPU, fp32).

A narrower teacher (width 32) distils into the tiny student (width 64): the loss curve carries
cross_entropy and kl per step and val_kl per evaluation, the report names the mode, the teacher and
the objective; --distill-alpha 0 trains exactly as plain training (bit for bit: same loss curve and
weights); a distillation run repeated, and stopped at step 3 and resumed, gives bitwise the same
loss curve and state; the KL to the teacher falls when the student is trained on it alone (alpha 1);
a resume with other distillation settings, a vocabulary mismatch, a bad temperature or alpha,
a distillation flag without --distill-from and a missing teacher are refused in one line.

--gpu: a bf16 sdpa student distils from a flash teacher (bf16, our kernels) on CUDA: finite losses,
a positive KL, the report names the teacher's kernel; and the same run with --deterministic resumes
bit for bit.

Env: GPTBENCH_BIN, GPTBENCH_DATA_DIR.
"""
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_cli import BIN, DATA, curve, expect_error, reproducibility_checks, summary_jsonl, train  # noqa: E402
from tiny_checkpoint import tiny_checkpoint  # noqa: E402  (train_cli put tests/cli on the path)
from check_log import check, finish  # noqa: E402


def gpu_checks(tmp):
    # The flash kernels take head dim 64 or 128: both models with 2 heads of 64.
    student = tiny_checkpoint(BIN, DATA, tmp / "student", {"n_head": 2, "n_embd": 128})
    teacher = tiny_checkpoint(BIN, DATA, tmp / "teacher", {"n_head": 2, "n_embd": 128, "n_layer": 1})
    data = tmp / "sum.jsonl"
    summary_jsonl(data, 60)
    common = ["--model", student, "--dataset", "jsonl", "--data-path", data, "--seq-len", 96, "--batch-size", 4,
              "--steps", 6, "--warmup-steps", 1, "--lr", 1e-3, "--log-interval", 2, "--eval-interval", 3,
              "--eval-samples", 4, "--device", "cuda", "--precision", "bf16", "--variant", "sdpa", "--seed", 5,
              "--distill-from", teacher, "--distill-variant", "flash", "--loss-chunk-rows", 100]
    out = tmp / "gpu"
    res = train(common + ["--out", out])
    r = json.loads((out / "train_report.json").read_text()) if res.returncode == 0 else {}
    lines = [x for x in curve(out) if x["type"] == "train"] if res.returncode == 0 else []
    ok = r.get("status") == "ok" and len(lines) == 6 and all(0 < x["kl"] < 20 and x["loss"] < 20 for x in lines)
    kernel = r.get("distill", {}).get("kernel", "")
    check(ok and kernel.startswith("flash:"), "gpu bf16: sdpa student, flash teacher: 6 finite steps, kernel named",
          f"{kernel}; kl {[round(x['kl'], 4) for x in lines]}")
    reproducibility_checks(common + ["--deterministic"], tmp / "det", "gpu bf16 distill --deterministic")


def main():
    if "--gpu" in sys.argv:
        import torch
        if not torch.cuda.is_available():
            print("SKIP: no CUDA device on this machine: the --gpu checks need one")
            sys.exit(77)  # ctest SKIP_RETURN_CODE
        with tempfile.TemporaryDirectory() as tmp:
            gpu_checks(Path(tmp))
        finish()
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        student = tiny_checkpoint(BIN, DATA, tmp / "student")
        teacher = tiny_checkpoint(BIN, DATA, tmp / "teacher", {"n_embd": 32, "n_head": 2})
        data = tmp / "sum.jsonl"
        summary_jsonl(data, 60)
        common = ["--model", student, "--dataset", "jsonl", "--data-path", data, "--seq-len", 96, "--batch-size", 3,
                  "--grad-accum", 2, "--steps", 6, "--warmup-steps", 1, "--lr", 1e-3, "--log-interval", 2,
                  "--eval-interval", 3, "--eval-samples", 4, "--device", "cpu", "--seed", 5,
                  "--loss-chunk-rows", 50]
        distill = ["--distill-from", teacher, "--distill-temperature", 2.0, "--distill-alpha", 0.5]

        # Repeat and resume, bit for bit; the report and the curve's KL.
        report = reproducibility_checks(common + distill, tmp / "distill", "distill")
        lines = curve(tmp / "distill" / "straight")
        train_lines = [x for x in lines if x["type"] == "train"]
        evals = [x for x in lines if x["type"] == "eval"]
        check(len(train_lines) == 6 and all(x["kl"] > 0 and x["cross_entropy"] > 0 for x in train_lines),
              "distill: cross_entropy and kl per step in the loss curve")
        check(all(abs(x["loss"] - (0.5 * 4.0 * x["kl"] + 0.5 * x["cross_entropy"])) < 1e-5 * x["loss"]
                  for x in train_lines), "distill: loss = a*T^2*kl + (1-a)*cross_entropy")
        check(len(evals) == 2 and all("val_kl" in x for x in evals), "distill: val_kl per evaluation")
        d = report.get("distill", {})
        check(report.get("training", {}).get("mode") == "distill" and d.get("teacher") == str(teacher)
              and d.get("variant") == "sdpa" and d.get("temperature") == 2.0 and d.get("alpha") == 0.5
              and d.get("final_kl") == train_lines[-1]["kl"], "distill: report names mode, teacher and settings",
              json.dumps(d)[:300])
        m = report.get("model", {})
        check(m.get("frozen_parameters") == 0 and m.get("trained_parameters") == m.get("parameters"),
              "distill: trainable and frozen parameter counts", f"{m.get('trained_parameters')} / {m.get('frozen_parameters')}")

        # alpha 0 is plain training, bit for bit.
        plain, zero = tmp / "plain", tmp / "alpha0"
        train(common + ["--out", plain])
        train(common + ["--distill-from", teacher, "--distill-alpha", 0, "--out", zero])
        drop = ("step_ms", "cross_entropy", "kl", "val_kl")
        check(curve(plain, drop) == curve(zero, drop) and len(curve(plain)) == 8,
              "alpha 0: the loss curve of plain training, bit for bit")
        check((plain / "model.safetensors").read_bytes() == (zero / "model.safetensors").read_bytes(),
              "alpha 0: the weights of plain training, bit for bit")
        plain_report = json.loads((plain / "train_report.json").read_text())
        check(plain_report["training"].get("mode") == "full" and "distill" not in plain_report,
              "plain training: mode full, no distill block")

        # alpha 1: the student learns the teacher; the KL falls.
        out = tmp / "alpha1"
        train(common[:common.index("--steps")] + ["--steps", 12, "--warmup-steps", 1, "--lr", 3e-3, "--log-interval",
              4, "--eval-samples", 4, "--device", "cpu", "--distill-from", teacher, "--distill-alpha", 1,
              "--out", out])
        kl = [x["kl"] for x in curve(out) if x["type"] == "train"]
        check(len(kl) == 12 and kl[-1] < 0.7 * kl[0], "alpha 1: the KL to the teacher falls",
              f"{kl[0]:.4f} -> {kl[-1]:.4f}" if kl else "no curve")

        # Bad input.
        bad = tmp / "bad"
        resumed = tmp / "distill" / "resumed"
        expect_error(common + distill[:-1] + [0.7, "--out", resumed, "--resume"], 2, "--resume", "distill",
                     label="resume with another --distill-alpha")
        expect_error(common + ["--out", resumed, "--resume"], 2, "--resume", "distill",
                     label="resume of a distillation run without --distill-from")
        wide = tiny_checkpoint(BIN, DATA, tmp / "wide_vocab", {"vocab_size": 50300})
        expect_error(common + ["--distill-from", wide, "--out", bad], 2, "--distill-from", "vocabulary",
                     label="teacher with another vocabulary")
        expect_error(common + ["--distill-from", tmp / "nope", "--out", bad], 2, "--distill-from", "nope",
                     label="missing teacher")
        expect_error(common + ["--distill-from", teacher, "--distill-temperature", 0, "--out", bad], 2,
                     "--distill-temperature", label="temperature 0")
        expect_error(common + ["--distill-from", teacher, "--distill-alpha", 1.5, "--out", bad], 2,
                     "--distill-alpha", label="alpha > 1")
        expect_error(common + ["--distill-alpha", 0.5, "--out", bad], 2, "--distill-alpha", "--distill-from",
                     label="a distillation flag without --distill-from")
        expect_error(common + ["--distill-from", teacher, "--distill-variant", "nope", "--out", bad], 2,
                     "--distill-variant", label="unknown teacher variant")
        expect_error(common + ["--distill-from", teacher, "--loss", "reference", "--out", bad], 2,
                     "--distill-from", "--loss fused", label="distillation with the reference loss")
    finish()


if __name__ == "__main__":
    main()
