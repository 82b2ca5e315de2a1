#!/usr/bin/env python3
"""`gptbench train` end to end on a tiny random checkpoint (2 layers, width 64).

CPU (default): overfitting a short text lowers the loss; a run stopped at step 3 and resumed gives
exactly the loss curve, evaluation losses and weights of a straight 6-step run; the fused loss (the
default) and --loss reference give the same loss curve; the checkpoint records its variant and
`gptbench run` loads it; every bad input gets one line, the right exit code and an error report
instead of a half-written one.
--gpu: bf16 / fp16 steps with sdpa, flash (our kernels + recomputing backward, named in the report)
and the sparse/ALiBi modifiers; bf16 steps with the fused loss (our classifier kernel) and the
reference loss give the same loss curve; a batch that cannot fit in memory fails with one line that
suggests a smaller --batch-size.

Env: GPTBENCH_BIN, GPTBENCH_DATA_DIR.
"""
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

BIN = os.environ.get("GPTBENCH_BIN") or sys.exit("GPTBENCH_BIN is not set")
DATA = Path(os.environ.get("GPTBENCH_DATA_DIR", ""))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "cli"))
from tiny_checkpoint import tiny_checkpoint  # noqa: E402
from check_log import check, finish  # noqa: E402


def train(args, code=0):
    res = subprocess.run([BIN, "train", "--quiet", "--data-dir", DATA] + [str(a) for a in args],
                         capture_output=True, text=True)
    if res.returncode != code:
        print(res.stderr[-2000:])
    return res


def expect_error(args, code, *needles, label):
    res = train(args, code)
    lines = [l for l in res.stderr.splitlines() if l.strip()]
    ok = res.returncode == code and len(lines) == 1 and all(n in lines[0] for n in needles)
    ok = ok and not any(w in res.stderr for w in ("terminate called", "Segmentation", "Exception raised from"))
    check(ok, label, lines[-1] if lines else "<no stderr>")
    return res


def curve(out, drop=("step_ms",)):
    return [{k: v for k, v in json.loads(l).items() if k not in drop} for l in (out / "loss_curve.jsonl").open()]


def run_checks(cpu_checks, gpu_checks):
    """A test script's main: gpu_checks(tmp) with --gpu, else cpu_checks(tmp), in a scratch folder; then the
    summary and exit status of check_log."""
    with tempfile.TemporaryDirectory() as tmp:
        (gpu_checks if "--gpu" in sys.argv else cpu_checks)(Path(tmp))
    finish()


def gpu_tiny_and_data(tmp):
    """The --gpu checks' start: exits 77 (ctest's skip) without a CUDA device, saying so; else the tiny
    checkpoint with 2 heads of 64 (the flash kernels' head dim) and 60 summarization rows."""
    import torch
    if not torch.cuda.is_available():
        print("SKIP: no CUDA device on this machine: the --gpu checks need one")
        sys.exit(77)  # ctest SKIP_RETURN_CODE
    tiny = tiny_checkpoint(BIN, DATA, tmp / "tiny_d64", {"n_head": 2, "n_embd": 128})
    data = tmp / "sum.jsonl"
    summary_jsonl(data, 60)
    return tiny, data


def summary_jsonl(path, n, seed=0):
    rnd = random.Random(seed)
    words = "the council city budget river storm market school team police court minister bank film".split()
    with open(path, "w") as f:
        for i in range(n):
            source = " ".join(rnd.choice(words) for _ in range(rnd.randint(30, 60))) + "."
            reference = " ".join(rnd.choice(words) for _ in range(rnd.randint(5, 12))) + "."
            f.write(json.dumps({"id": f"row-{i}", "source": source, "reference": reference}) + "\n")


def same_curves(a, b, rel):
    """The loss and val_loss of two loss curves agree within `rel` (relative), line by line."""
    if len(a) != len(b) or not a:
        return False, f"{len(a)} vs {len(b)} lines"
    worst = 0.0
    for x, y in zip(a, b):
        if x["type"] != y["type"] or x["step"] != y["step"]:
            return False, f"line {x} vs {y}"
        key = "loss" if x["type"] == "train" else "val_loss"
        worst = max(worst, abs(x[key] - y[key]) / max(1.0, abs(y[key])))
    return worst <= rel, f"max relative difference {worst:.2e} (limit {rel:g})"


def loss_impl_check(common, tmp, device, rel, label):
    """The same run with --loss reference and the fused loss (a chunk that does not divide B*T)."""
    runs = {}
    for name, flags in [("reference", ["--loss", "reference"]), ("fused", ["--loss-chunk-rows", 50])]:
        out = tmp / f"loss_{device}_{name}"
        res = train(common + flags + ["--out", out])
        report = json.loads((out / "train_report.json").read_text()) if res.returncode == 0 else {}
        runs[name] = (curve(out, drop=("step_ms", "grad_norm")) if res.returncode == 0 else [],
                      report.get("training", {}).get("loss_impl", ""))
    ok, detail = same_curves(runs["fused"][0], runs["reference"][0], rel)
    check(ok, f"{label}: fused and reference loss give the same loss curve", detail)
    suffix = "cuda" if device == "cuda" else "cpu-reference-ops"
    impls = (runs["fused"][1], runs["reference"][1])
    check(impls[0] == f"fused-chunked(50 rows):{suffix}" and impls[1].startswith("reference:"),
          f"{label}: the report names the loss that ran", " / ".join(impls))


def reproducibility_checks(common, tmp, label, files=("model.safetensors", "train_state.safetensors")):
    """A run repeated, and a run stopped at step 3 and resumed, give bitwise the same loss curve,
    evaluation losses and saved `files` as the straight run (`common`: 6 steps, log and eval every 3)."""
    tmp.mkdir(parents=True, exist_ok=True)
    straight, again, resumed = tmp / "straight", tmp / "again", tmp / "resumed"
    train(common + ["--out", straight])
    train(common + ["--out", again])
    train(common + ["--out", resumed, "--stop-at", 3])
    half = curve(resumed)
    train(common + ["--out", resumed, "--resume"])
    a, b, c = curve(straight), curve(resumed), curve(again)
    check(len(a) == 8 and a == c, f"{label} repeat: identical loss curve and evaluation losses", f"{len(a)} vs {len(c)} lines")
    check(len(a) == 8 and a == b, f"{label} resume: identical loss curve and evaluation losses", f"{len(a)} vs {len(b)} lines")
    check(len(half) == 4 and half == a[:4], f"{label} resume: the first half equals the straight run's first half")
    for name in files:
        check((straight / name).read_bytes() == (resumed / name).read_bytes() == (again / name).read_bytes(),
              f"{label}: identical {name} (repeat and resume)")
    check(len({x["loss"] for x in a if x["type"] == "train"}) == 6, f"{label}: the losses change step to step")
    report = json.loads((straight / "train_report.json").read_text()) if (straight / "train_report.json").exists() else {}
    check(report.get("training", {}).get("deterministic") is True, f"{label}: the report says the run is deterministic",
          str(report.get("training", {}).get("deterministic")))
    return report


def cpu_checks(tmp, tiny):
    # Overfitting: a short text repeated; the loss must fall well below its start.
    text = tmp / "tiny.txt"
    text.write_text(("The quick brown fox jumps over the lazy dog while the cat sleeps in the sun. " * 60))
    out = tmp / "overfit"
    res = train(["--model", tiny, "--dataset", "text", "--data-path", text, "--seq-len", 32, "--batch-size", 4,
                 "--steps", 40, "--warmup-steps", 2, "--lr", 3e-3, "--log-interval", 10, "--device", "cpu",
                 "--eval-samples", 2, "--out", out])
    c = [x for x in curve(out) if x["type"] == "train"] if res.returncode == 0 else []
    check(len(c) == 40 and c[-1]["loss"] < 0.3 * c[0]["loss"], "overfit: loss decreases",
          f"{c[0]['loss']:.3f} -> {c[-1]['loss']:.3f}" if c else "no curve")
    report = json.loads((out / "train_report.json").read_text()) if res.returncode == 0 else {}
    check(report.get("status") == "ok" and report["training"]["evaluations"][-1]["val_loss"] < c[0]["loss"],
          "overfit: report with validation loss")

    # Resume identity on a summarization dataset (loss on summary tokens, eval every 3 steps).
    data = tmp / "sum.jsonl"
    summary_jsonl(data, 60)
    common = ["--model", tiny, "--dataset", "jsonl", "--data-path", data, "--seq-len", 96, "--batch-size", 3,
              "--grad-accum", 2, "--steps", 6, "--warmup-steps", 1, "--lr", 1e-3, "--log-interval", 2,
              "--eval-interval", 3, "--eval-samples", 4, "--device", "cpu", "--seed", 5]
    reproducibility_checks(common, tmp / "cpu", "cpu")
    straight, resumed = tmp / "cpu" / "straight", tmp / "cpu" / "resumed"
    # The fused loss against the reference loss (fp32, CPU): same curve and validation losses.
    loss_impl_check(common, tmp, "cpu", 1e-4, "cpu fp32")

    cfg = json.loads((straight / "config.json").read_text())
    check(cfg.get("gptbench", {}).get("variant") == "standard", "checkpoint records its variant", str(cfg.get("gptbench")))

    # `gptbench run` loads the trained checkpoint.
    run = subprocess.run([str(a) for a in [BIN, "run", "--model", straight, "--dataset", "jsonl", "--data", data,
                                           "--split", "all", "--limit", 2, "--max-new-tokens", 4, "--device", "cpu",
                                           "--quiet", "--out", tmp / "run.json"]], capture_output=True, text=True)
    ok = run.returncode == 0 and json.loads((tmp / "run.json").read_text())["status"] == "ok"
    check(ok, "gptbench run loads the trained checkpoint", run.stderr.strip()[-200:])

    # ALiBi training freezes the unused position table and records the variant.
    alibi = tmp / "alibi"
    res = train(common[:-2] + ["--variant", "alibi", "--steps", 2, "--eval-interval", 0, "--out", alibi,
                               "--allow-variant-change", "--seed", 5])
    if res.returncode == 0:
        r = json.loads((alibi / "train_report.json").read_text())
        check(r["model"]["trained_parameters"] == r["model"]["parameters"] - 128 * 64, "alibi: wpe not trained")

    # Bad input: one line, exit code, an error report, never a half-written checkpoint.
    bad = tmp / "bad"
    expect_error(["--model", tiny, "--out", bad, "--lr", 0], 2, "--lr", label="lr <= 0")
    r = json.loads((bad / "train_report.json").read_text()) if (bad / "train_report.json").exists() else {}
    check(r.get("status") == "error" and "--lr" in r.get("error", "") and not (bad / "model.safetensors").exists(),
          "failed run writes an error report and no checkpoint")
    expect_error(["--model", tiny, "--out", bad, "--lr", -1e-3], 2, "--lr", label="negative lr")
    expect_error(["--model", tiny, "--out", bad, "--seq-len", 1024, "--device", "cpu"], 2, "--seq-len", "context",
                 label="batch longer than the context")
    expect_error(["--model", tiny, "--out", bad, "--dataset", "jsonl", "--data-path", data, "--batch-size", 64,
                  "--device", "cpu", "--seq-len", 96], 1, "--batch-size", label="dataset too small for the batch")
    expect_error(["--model", straight, "--out", bad, "--variant", "alibi", "--device", "cpu"], 2,
                 "--allow-variant-change", "standard", label="checkpoint variant differs from --variant")
    expect_error(common + ["--out", resumed, "--resume", "--lr", 2e-3], 2, "--resume", "lr",
                 label="resume with other settings")
    expect_error(["--model", tiny, "--out", bad, "--precision", "bf16", "--device", "cpu"], 2, "--precision",
                 label="bf16 on the CPU")
    expect_error(["--model", tiny, "--out", bad, "--loss-on", "prompt"], 2, "--loss-on", label="unknown --loss-on")
    expect_error(["--model", tiny, "--out", bad, "--loss", "chunked"], 2, "--loss", label="unknown --loss")
    expect_error(["--model", tiny, "--out", bad, "--loss-chunk-rows", 0], 2, "--loss-chunk-rows",
                 label="--loss-chunk-rows 0")
    expect_error(["--model", tmp / "nope", "--out", bad, "--device", "cpu"], 1, "nope", label="missing checkpoint")
    expect_error(["--model", tiny, "--out", bad, "--dataset", "text", "--device", "cpu"], 2, "--data-path",
                 label="text without a file")
    expect_error(["--out", bad, "--resume", "--model", tiny, "--device", "cpu"], 1, "train_state",
                 label="resume without a saved state")


def gpu_checks(tmp, tiny):
    # The flash kernels take head dim 64 or 128: the tiny shape with 2 heads of 64.
    tiny = tiny_checkpoint(BIN, DATA, tmp / "tiny_d64", {"n_head": 2, "n_embd": 128})
    data = tmp / "sum.jsonl"
    summary_jsonl(data, 60)
    for variant, precision in [("sdpa", "bf16"), ("flash", "bf16"), ("flash+alibi", "fp16"),
                               ("flash+sparse", "bf16"), ("sdpa+alibi+sparse", "bf16"), ("standard", "fp16")]:
        out = tmp / ("gpu_" + variant.replace("+", "_") + "_" + precision)
        window = ["--window", 16] if "sparse" in variant else []
        res = train(["--model", tiny, "--dataset", "jsonl", "--data-path", data, "--seq-len", 96, "--batch-size", 4,
                     "--steps", 6, "--warmup-steps", 1, "--lr", 1e-3, "--eval-samples", 4, "--device", "cuda",
                     "--precision", precision, "--variant", variant, "--allow-variant-change", "--out", out] + window)
        r = json.loads((out / "train_report.json").read_text()) if res.returncode == 0 else {}
        c = [x["loss"] for x in curve(out) if x["type"] == "train"] if res.returncode == 0 else []
        back = r.get("attention", {}).get("backward", "")
        ok = r.get("status") == "ok" and len(c) == 6 and all(x == x and x < 20 for x in c)
        ok = ok and (back.startswith("recompute:sdpa") if variant.startswith("flash") else back.startswith("autograd:"))
        check(ok, f"gpu {variant} {precision}: 6 finite steps, backward named", f"{back}; loss {c[:1]} -> {c[-1:]}")
    # --deterministic: repeated and resumed runs equal bit for bit, for SDPA's autograd backward and for
    # flash's recomputing one (the report names the SDPA backend that determinism leaves).
    for variant in ("sdpa", "flash"):
        common = ["--model", tiny, "--dataset", "jsonl", "--data-path", data, "--seq-len", 96, "--batch-size", 4,
                  "--steps", 6, "--warmup-steps", 1, "--lr", 1e-3, "--log-interval", 2, "--eval-interval", 3,
                  "--eval-samples", 4, "--device", "cuda", "--precision", "bf16", "--variant", variant,
                  "--allow-variant-change", "--seed", 5, "--deterministic"]
        r = reproducibility_checks(common, tmp / f"det_{variant}", f"gpu bf16 {variant} --deterministic")
        print(f"info gpu {variant} --deterministic: backward {r.get('attention', {}).get('backward')}")
    # bf16: the fused loss (our classifier kernel, bf16 logits, fp32 loss) against the reference loss
    # (bf16 logits converted to fp32). Both round the logits to bf16; they differ in where the
    # gradient is rounded, so the curves agree to bf16's resolution, not bit for bit.
    loss_impl_check(["--model", tiny, "--dataset", "jsonl", "--data-path", data, "--seq-len", 96, "--batch-size", 4,
                     "--steps", 6, "--warmup-steps", 1, "--lr", 1e-3, "--eval-samples", 4, "--device", "cuda",
                     "--precision", "bf16", "--variant", "sdpa", "--allow-variant-change"], tmp, "cuda", 2e-2,
                    "gpu bf16 sdpa")
    # Out of memory: a text of many chunks and a batch far beyond 80 GB of logits (the reference loss:
    # the fused one never holds the (B, T, V) logits and would fit).
    rnd = random.Random(1)
    words = "alpha beta gamma delta river city market school storm council".split()
    big = tmp / "big.txt"
    big.write_text(" ".join(rnd.choice(words) for _ in range(700_000)))
    out = tmp / "oom"
    expect_error(["--model", tiny, "--dataset", "text", "--data-path", big, "--seq-len", 128, "--batch-size", 4096,
                  "--steps", 2, "--warmup-steps", 0, "--device", "cuda", "--precision", "bf16", "--loss", "reference",
                  "--out", out], 1,
                 "out of memory", "smaller --batch-size", label="gpu: out of memory suggests a smaller batch")
    r = json.loads((out / "train_report.json").read_text()) if (out / "train_report.json").exists() else {}
    check(r.get("status") == "error", "gpu: out-of-memory run writes an error report")


def main():
    gpu = "--gpu" in sys.argv
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        tiny = tiny_checkpoint(BIN, DATA, tmp / "tiny")
        (gpu_checks if gpu else cpu_checks)(tmp, tiny)
    finish()


if __name__ == "__main__":
    main()
