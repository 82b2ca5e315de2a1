#!/usr/bin/env python3
"""`gptbench train --cuda-graph` (the optimizer step captured once as a CUDA graph and replayed).

CPU (default): what the graph cannot take is refused in one line naming --cuda-graph, exit 2: a CPU
device, --grad-accum 2, --lora-dropout, --distill-from, --precision fp16.
--gpu: full fine-tuning and LoRA (rank 8), bf16, sdpa, on summarization batches of varying length (the
graph pads them to --seq-len): the loss curve of the graph run equals the eager run's within 1e-2 relative
(the padded GEMMs round differently, and cuDNN's attention backward is not bit-reproducible), every step
finite and the loss falling, the report echoing config.cuda_graph; a --save-interval checkpoint and an
evaluation between replays leave the graph working (skips without a CUDA device, saying so).

Env: GPTBENCH_BIN, GPTBENCH_DATA_DIR.
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_cli import BIN, DATA, curve, expect_error, gpu_tiny_and_data, run_checks, summary_jsonl, train  # noqa: E402
from tiny_checkpoint import tiny_checkpoint  # noqa: E402  (train_cli put tests/cli on the path)
from check_log import check  # noqa: E402


def cpu_checks(tmp):
    tiny = tiny_checkpoint(BIN, DATA, tmp / "tiny")
    data = tmp / "sum.jsonl"
    summary_jsonl(data, 40)
    common = ["--model", tiny, "--dataset", "jsonl", "--data-path", data, "--seq-len", 96, "--batch-size", 2,
              "--steps", 3, "--warmup-steps", 1, "--cuda-graph"]
    expect_error(common + ["--device", "cpu", "--out", tmp / "e1"], 2, "--cuda-graph needs a CUDA device",
                 label="--cuda-graph on the CPU is refused")
    expect_error(common + ["--grad-accum", 2, "--out", tmp / "e2"], 2, "--cuda-graph", "--grad-accum 1",
                 label="--cuda-graph with --grad-accum 2 is refused")
    expect_error(common + ["--lora-rank", 4, "--lora-dropout", 0.1, "--out", tmp / "e3"], 2, "--cuda-graph",
                 "--lora-dropout", label="--cuda-graph with --lora-dropout is refused")
    expect_error(common + ["--distill-from", tiny, "--out", tmp / "e4"], 2, "--cuda-graph", "--distill-from",
                 label="--cuda-graph with --distill-from is refused")
    expect_error(common + ["--precision", "fp16", "--out", tmp / "e5"], 2, "--cuda-graph", "fp16",
                 label="--cuda-graph with --precision fp16 is refused")


def gpu_checks(tmp):
    tiny, data = gpu_tiny_and_data(tmp)
    common = ["--model", tiny, "--dataset", "jsonl", "--data-path", data, "--seq-len", 96, "--batch-size", 4,
              "--steps", 10, "--warmup-steps", 1, "--lr", 3e-3, "--log-interval", 2, "--eval-interval", 5,
              "--save-interval", 5, "--eval-samples", 4, "--device", "cuda", "--precision", "bf16",
              "--variant", "sdpa", "--allow-variant-change", "--seed", 5]
    for mode, flags in (("full", []), ("lora", ["--lora-rank", 8])):
        eager, graph = tmp / f"{mode}_eager", tmp / f"{mode}_graph"
        res_e = train(common + flags + ["--out", eager])
        res_g = train(common + flags + ["--cuda-graph", "--out", graph])
        if res_e.returncode or res_g.returncode:
            check(False, f"gpu {mode} --cuda-graph: both runs finish", (res_g.stderr or res_e.stderr)[-300:])
            continue
        le = [x["loss"] for x in curve(eager) if x["type"] == "train"]
        lg = [x["loss"] for x in curve(graph) if x["type"] == "train"]
        close = len(le) == len(lg) == 10 and all(abs(a - b) <= 1e-2 * abs(a) for a, b in zip(le, lg))
        check(close and all(x == x for x in lg) and lg[-1] < lg[0],
              f"gpu {mode} --cuda-graph: the eager run's loss curve (1e-2 relative), falling",
              f"eager {[round(x, 4) for x in le]} graph {[round(x, 4) for x in lg]}")
        ve = [x["val_loss"] for x in curve(eager) if x["type"] == "eval"]
        vg = [x["val_loss"] for x in curve(graph) if x["type"] == "eval"]
        check(len(ve) == len(vg) == 2 and all(abs(a - b) <= 1e-2 * abs(a) for a, b in zip(ve, vg)),
              f"gpu {mode} --cuda-graph: evaluations between replays agree", f"{ve} vs {vg}")
        r = json.loads((graph / "train_report.json").read_text())
        check(r.get("config", {}).get("cuda_graph") is True and r.get("status") == "ok",
              f"gpu {mode} --cuda-graph: the report echoes config.cuda_graph")
        step_e = json.loads((eager / "train_report.json").read_text())["throughput"]["step_ms"]["p50"]
        print(f"info gpu {mode}: step p50 eager {step_e:.2f} ms, graph {r['throughput']['step_ms']['p50']:.2f} ms")


if __name__ == "__main__":
    run_checks(cpu_checks, gpu_checks)
