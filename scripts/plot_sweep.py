#!/usr/bin/env python3
"""Charts of a `gptbench sweep` JSONL file (format: docs/result-schema.md, "sweep").

    scripts/plot_sweep.py SWEEP.jsonl --out DIR

Writes, from the cells with status "ok":
  DIR/latency_vs_prompt.png   TTFT p50, TPOT p50 and tokens/s against prompt length, a panel per batch size
  DIR/latency_vs_batch.png    the same against batch size, a panel per prompt length
  DIR/memory_vs_prompt.png    peak allocated MiB against prompt length, a panel per batch size
                              (only when memory was measured, i.e. on CUDA; otherwise it says so)
One line per variant (plus dtype / window / new tokens when those axes have several values).
Exit 1 with one line on stderr for a missing or malformed file, or when no cell is "ok".
"""
import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

RANK = {"ok": 2, "skipped": 1, "error": 0}  # the line that counts for a key (as gptbench's best_cells)


def fail(message):
    print(f"plot_sweep.py: error: {message}", file=sys.stderr)
    sys.exit(1)


def read_cells(path):
    try:
        lines = Path(path).read_text().split("\n")
    except OSError as e:
        fail(f"{path}: {e.strerror}")
    if not lines or not lines[0].strip():
        fail(f"{path}: empty file, not a gptbench sweep file")
    best = {}
    for number, line in enumerate(lines[:-1], start=1):  # the text after the last newline is an incomplete line
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            fail(f"{path}:{number}: not valid JSON")
        if number == 1:
            if record.get("record") != "sweep":
                fail(f"{path}:1: not a gptbench sweep file (no \"record\": \"sweep\")")
            continue
        key = record["key"]
        if key not in best or RANK[record["status"]] >= RANK[best[key]["status"]]:
            best[key] = record
    return [r for r in sorted(best.values(), key=lambda r: r["index"]) if r["status"] == "ok"]


def metrics(record):
    report = record["report"]
    lat, mem = report["latency"], report["memory"]
    return {
        "ttft": lat["ttft"]["p50"],
        "tpot": lat["tpot"]["p50"],
        "tokens_per_s": lat["tokens_per_s"],
        "peak_mib": mem["peak_allocated_bytes"] / 2**20 if mem.get("measured") else None,
    }


def series_label(cell, varying):
    parts = [cell["variant"]]
    if "dtype" in varying:
        parts.append(cell["dtype"])
    if "window" in varying and cell["window"] is not None:
        parts.append(f"W{cell['window']}")
    if "max_new_tokens" in varying:
        parts.append(f"{cell['max_new_tokens']} new")
    return " ".join(parts)


def plot(cells, x_axis, panel_axis, rows, path, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    varying = {k for k in ("dtype", "window", "max_new_tokens") if len({c["cell"][k] for c in cells}) > 1}
    panels = sorted({c["cell"][panel_axis] for c in cells})
    fig, axes = plt.subplots(len(rows), len(panels), figsize=(4.2 * len(panels), 3.2 * len(rows)), squeeze=False)
    for col, panel in enumerate(panels):
        series = defaultdict(list)
        for c in cells:
            if c["cell"][panel_axis] == panel:
                series[series_label(c["cell"], varying)].append((c["cell"][x_axis], metrics(c)))
        for row, (metric, label) in enumerate(rows):
            ax = axes[row][col]
            for name, points in sorted(series.items()):
                points = sorted((x, m[metric]) for x, m in points if m[metric] is not None)
                if points:
                    ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=name)
            if x_axis == "batch_size":
                ax.set_xscale("log", base=2)
            ax.set_xlabel(x_axis.replace("_", " "))
            ax.set_ylabel(label)
            ax.set_title(f"{panel_axis.replace('_', ' ')} {panel}")
            ax.grid(True, alpha=0.3)
    axes[0][0].legend(fontsize="small")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"wrote {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sweep", help="the sweep JSONL file")
    parser.add_argument("--out", required=True, help="folder for the PNG files")
    args = parser.parse_args()
    cells = read_cells(args.sweep)
    if not cells:
        fail(f"{args.sweep}: no cell with status \"ok\", nothing to plot")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        fail("matplotlib is not installed (pip install -r scripts/requirements.txt)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    device = cells[0]["report"]["env"].get("gpu") or cells[0]["report"]["config"].get("device_resolved", "")
    latency_rows = [("ttft", "TTFT p50 (ms)"), ("tpot", "TPOT p50 (ms)"), ("tokens_per_s", "tokens/s")]
    plot(cells, "prompt_tokens", "batch_size", latency_rows, out / "latency_vs_prompt.png",
         f"latency and throughput against prompt length ({device})")
    plot(cells, "batch_size", "prompt_tokens", latency_rows, out / "latency_vs_batch.png",
         f"latency and throughput against batch size ({device})")
    if any(metrics(c)["peak_mib"] is not None for c in cells):
        plot(cells, "prompt_tokens", "batch_size", [("peak_mib", "peak allocated (MiB)")], out / "memory_vs_prompt.png",
             f"peak memory against prompt length ({device})")
    else:
        print("memory_vs_prompt.png not drawn: memory is measured on CUDA only (these cells ran on the CPU)")


if __name__ == "__main__":
    main()
