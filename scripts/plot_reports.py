#!/usr/bin/env python3
"""A PNG bar chart of run reports side by side: the picture of `gptbench report A.json B.json ...`.

    .venv/bin/python scripts/plot_reports.py flash.json sdpa.json standard.json --out variants.png

(the setup's interpreter, which has matplotlib and pandas: `.venv/bin/python`, or the machine's
python3 where setup used it). One panel per metric that at least one report has, one bar per
report (labelled with its variant, and the file name when two variants repeat), each bar annotated
with its ratio against the first report's, as the table does. Metrics (--metrics, comma-separated):
tokens_per_s, ttft_ms, tpot_ms, e2e_ms, peak_allocated_mib, j_per_token (gpu_telemetry: energy per
generated token), rouge1, rougeL, bleu, perplexity. Reports are read with scripts/gptbench_reports.py.
Exit 1 with one line on stderr for a file that is not a run report or when no report has a metric.
"""
import argparse
import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gptbench_reports  # noqa: E402

# metric -> its panel's title
METRICS = {
    "tokens_per_s": "tokens/s (higher is better)",
    "ttft_ms": "TTFT p50, ms",
    "tpot_ms": "TPOT p50, ms",
    "e2e_ms": "end-to-end p50, ms",
    "peak_allocated_mib": "peak allocated, MiB",
    "j_per_token": "GPU energy, J per generated token",
    "rouge1": "ROUGE-1 F",
    "rougeL": "ROUGE-L F",
    "bleu": "BLEU",
    "perplexity": "perplexity",
}
DEFAULT_METRICS = "tokens_per_s,ttft_ms,tpot_ms,peak_allocated_mib,j_per_token,rouge1"


def fail(message):
    print(f"plot_reports.py: error: {message}", file=sys.stderr)
    sys.exit(1)


def number(value):
    """A float, or None for a value the report lacks (None, NaN, <NA>)."""
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def values(paths, metrics):
    """{metric: [value or None per report]}, labels."""
    try:
        frame = gptbench_reports.load(paths)
    except gptbench_reports.ReportFormatError as e:
        fail(str(e))
    if len(frame) != len(paths):
        fail("give run reports (gptbench run --out), not sweeps: plot a sweep with scripts/plot_sweep.py")
    labels = [str(v) if v is not None else Path(p).stem for v, p in zip(frame["variant"], paths)]
    if len(set(labels)) < len(labels):
        labels = [f"{label}\n{Path(p).name}" for label, p in zip(labels, paths)]
    table = {}
    for metric in metrics:
        if metric == "peak_allocated_mib":
            column = [number(b) / 1048576 if number(b) is not None else None for b in frame["peak_allocated_bytes"]]
        elif metric == "j_per_token":
            column = [number((json.loads(Path(p).read_text()).get("gpu_telemetry") or {}).get("j_per_token"))
                      for p in paths]
        else:
            column = [number(v) for v in frame[metric]]
        table[metric] = column
    return table, labels


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reports", nargs="+", help="run reports; the first is the reference of the ratios")
    parser.add_argument("--out", required=True, help="the PNG file to write")
    parser.add_argument("--metrics", default=DEFAULT_METRICS, help=f"comma-separated, of: {', '.join(METRICS)}")
    args = parser.parse_args(argv)
    metrics = [m for m in args.metrics.split(",") if m]
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        fail(f"--metrics: unknown {', '.join(unknown)} (known: {', '.join(METRICS)})")
    if not Path(args.out).resolve().parent.is_dir():
        fail(f"--out {args.out}: its folder does not exist")
    table, labels = values(args.reports, metrics)
    shown = [m for m in metrics if any(v is not None for v in table[m])]
    if not shown:
        fail(f"no report has any of {', '.join(metrics)}")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(shown), figsize=(3.2 * len(shown) + 1, 3.6), squeeze=False)
    for ax, metric in zip(axes[0], shown):
        column = table[metric]
        heights = [v if v is not None else 0 for v in column]
        bars = ax.bar(range(len(labels)), heights, color=[f"C{i % 10}" for i in range(len(labels))])
        first = column[0]
        for bar, v in zip(bars, column):
            text = "n/a" if v is None else (f"{v / first:.2f}x" if first else f"{v:.3g}")
            ax.annotate(text, (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom",
                        fontsize=8)
        ax.set_title(METRICS[metric], fontsize=9)
        ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right", fontsize=8)
    fig.suptitle(f"ratios against {labels[0].splitlines()[0]}", fontsize=9)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out} ({len(shown)} panels, {len(labels)} reports)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
