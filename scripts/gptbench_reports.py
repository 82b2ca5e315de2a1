#!/usr/bin/env python3
"""gptbench run reports and sweeps as a pandas DataFrame: one row per run.

    import sys; sys.path.insert(0, "scripts")
    import gptbench_reports
    df = gptbench_reports.load(["flash.json", "sdpa.json", "sweep.jsonl"])
    df[["variant", "batch_size", "ttft_ms", "tpot_ms", "tokens_per_s"]]

or from the shell (the setup's interpreter, which has pandas: `.venv/bin/python`, or the machine's
python3 where setup used it):

    .venv/bin/python scripts/gptbench_reports.py flash.json sweep.jsonl [--csv OUT.csv]
    .venv/bin/python scripts/gptbench_reports.py --columns      # the columns and what each holds

A file is a run report (`gptbench run --out`: one JSON object, docs/result-schema.md) or a sweep
(`gptbench sweep` / `gptbench merge`: JSON lines, a header and one line per cell), told apart by its
content as `gptbench compare` does. A sweep gives one row per cell key; where a key occurs more than
once the best status counts (ok over skipped over error, the later line among equals), as in
`gptbench merge`. Skipped cells are rows too (status "skipped", no numbers), so a chart can show
what could not run. A value a report does not have (quality of synthetic prompts, memory on the
CPU, TTFT of beam search) is missing (pandas.isna: NaN in float columns, <NA> in the integer ones,
None in text columns), never 0.

The columns are COLUMNS below, in that order; `--columns` prints them. Latencies are the medians
(p50) of the per-batch samples in milliseconds; `*_samples` hold the raw samples.
"""
import argparse
import json
import sys
from pathlib import Path

# name -> what it holds (and where in the report it comes from). The DataFrame has exactly these
# columns, in this order.
COLUMNS = {
    "source": "the file the row was read from",
    "line": "its line in a sweep file; None for a run report",
    "cell_key": "a sweep cell's key (VARIANT/DTYPE/wW/bB/pP/nN); None for a run report",
    "status": "ok, error (the run failed) or skipped (a sweep cell that could not run)",
    "message": "the error message or skip reason; None when ok",
    "task": "summarization or perplexity (config.task)",
    "variant": "canonical attention variant (attention.variant, else config.variant / the cell's)",
    "kernel": "the attention kernel that ran (attention.kernel)",
    "prefill_kernel": "attention.prefill_kernel (greedy runs)",
    "decode_kernel": "attention.decode_kernel (greedy runs)",
    "window": "sliding window (attention.window); None without sparse",
    "dtype": "config.dtype",
    "batch_size": "config.batch_size",
    "prompt_tokens": "config.prompt_tokens (synthetic prompts; the prompt budget of real datasets)",
    "max_new_tokens": "config.max_new_tokens",
    "dataset": "config.dataset",
    "n_samples": "dataset.n_samples (summarization)",
    "model": "config.model (the checkpoint folder)",
    "model_name": "model.config_name (summarization)",
    "parameters": "model.parameters (summarization)",
    "device": "env.device (cpu, cuda:0)",
    "gpu": "env.gpu: the GPU model; None on the CPU",
    "rouge1": "quality.rouge1.fmeasure (0-1)",
    "rouge2": "quality.rouge2.fmeasure (0-1)",
    "rougeL": "quality.rougeL.fmeasure (0-1)",
    "rougeLsum": "quality.rougeLsum.fmeasure (0-1)",
    "bleu": "quality.bleu.score (sacreBLEU, 0-100)",
    "perplexity": "quality.perplexity (perplexity runs)",
    "ttft_ms": "latency.ttft.p50: time to first token, median over batches",
    "tpot_ms": "latency.tpot.p50: time per output token after the first, median over batches",
    "e2e_ms": "latency.e2e.p50: end-to-end batch time, median",
    "ttft_ms_samples": "latency.ttft.samples: one per timed batch",
    "tpot_ms_samples": "latency.tpot.samples",
    "e2e_ms_samples": "latency.e2e.samples",
    "tokens_per_s": "latency.tokens_per_s (generated tokens/s; perplexity: scored tokens/s)",
    "samples_per_s": "latency.samples_per_s (summarization)",
    "decode_mode": "decode.mode: cuda_graph, eager or none (summarization)",
    "peak_allocated_bytes": "memory.peak_allocated_bytes; None when not measured (CPU)",
    "peak_reserved_bytes": "memory.peak_reserved_bytes; None when not measured (CPU)",
    "kv_cache_bytes": "memory.kv_cache_bytes (summarization)",
    "git_sha": "tool.git_sha of the gptbench that ran",
    "time_utc": "env.time_utc: when it ran",
    "tpot_p90_ms": "latency.tpot.p90; None below 10 batches (schema minor 5 withholds it)",
    "energy_j": "gpu_telemetry.energy_j: GPU energy over the timed batches; None when not measured",
    "j_per_token": "gpu_telemetry.j_per_token: joules per generated token; None when not measured",
    "mean_power_w": "gpu_telemetry.mean_power_w: average GPU power while timing; None when not measured",
    "throttled": "gpu_telemetry.throttled: thermal or power throttling seen while timing",
    "batches": "latency.batches: the timed batches",
    "stopped_by": "latency.stopping.reason: what ended the timing (min_time, max_noise, max_time, max_batches)",
    "noise": "latency.stopping.noise: std/mean of the per-batch e2e latency",
}

_FLOAT_COLUMNS = ("rouge1", "rouge2", "rougeL", "rougeLsum", "bleu", "perplexity", "ttft_ms", "tpot_ms", "e2e_ms",
                  "tokens_per_s", "samples_per_s", "tpot_p90_ms", "energy_j", "j_per_token", "mean_power_w", "noise")
_INTEGER_COLUMNS = ("line", "window", "batch_size", "prompt_tokens", "max_new_tokens", "n_samples", "parameters",
                    "peak_allocated_bytes", "peak_reserved_bytes", "kv_cache_bytes", "batches")
_STATUS_RANK = {"ok": 2, "skipped": 1, "error": 0}


class ReportFormatError(ValueError):
    """A file that is neither a run report nor a sweep, named with its line."""


def _get(obj, *path):
    """obj[path[0]][path[1]]..., or None where a step is missing or not an object."""
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return None
        obj = obj[key]
    return obj


def _median(report, name):
    summary = _get(report, "latency", name)
    if not isinstance(summary, dict) or not summary.get("n"):
        return None, None
    return summary.get("p50"), summary.get("samples")


def report_row(report, source, line=None, cell_key=None, status=None, message=None, cell=None):
    """One row (a dict with exactly the COLUMNS keys) from a run report; `report` may be None for a
    skipped sweep cell, whose `cell` object then gives the variant and shape."""
    report = report if isinstance(report, dict) else {}
    cell = cell if isinstance(cell, dict) else {}
    config = report.get("config") if isinstance(report.get("config"), dict) else {}
    memory = report.get("memory") if isinstance(report.get("memory"), dict) else {}
    measured = bool(memory.get("measured"))
    quality = report.get("quality") if isinstance(report.get("quality"), dict) else {}
    telemetry = report.get("gpu_telemetry") if isinstance(report.get("gpu_telemetry"), dict) else {}
    energy = telemetry if telemetry.get("measured") else {}

    def rouge(name):
        return _get(quality, name, "fmeasure")

    ttft, ttft_samples = _median(report, "ttft")
    tpot, tpot_samples = _median(report, "tpot")
    e2e, e2e_samples = _median(report, "e2e")
    row = {
        "source": str(source),
        "line": line,
        "cell_key": cell_key,
        "status": status or report.get("status"),
        "message": message if message is not None else report.get("error"),
        "task": config.get("task"),
        "variant": _get(report, "attention", "variant") or config.get("variant") or cell.get("variant"),
        "kernel": _get(report, "attention", "kernel"),
        "prefill_kernel": _get(report, "attention", "prefill_kernel"),
        "decode_kernel": _get(report, "attention", "decode_kernel"),
        "window": _get(report, "attention", "window") if "attention" in report else cell.get("window"),
        "dtype": config.get("dtype", cell.get("dtype")),
        "batch_size": config.get("batch_size", cell.get("batch_size")),
        "prompt_tokens": config.get("prompt_tokens", cell.get("prompt_tokens")),
        "max_new_tokens": config.get("max_new_tokens", cell.get("max_new_tokens")),
        "dataset": config.get("dataset"),
        "n_samples": _get(report, "dataset", "n_samples"),
        "model": config.get("model"),
        "model_name": _get(report, "model", "config_name"),
        "parameters": _get(report, "model", "parameters"),
        "device": _get(report, "env", "device"),
        "gpu": _get(report, "env", "gpu"),
        "rouge1": rouge("rouge1"),
        "rouge2": rouge("rouge2"),
        "rougeL": rouge("rougeL"),
        "rougeLsum": rouge("rougeLsum"),
        "bleu": _get(quality, "bleu", "score"),
        "perplexity": quality.get("perplexity"),
        "ttft_ms": ttft,
        "tpot_ms": tpot,
        "e2e_ms": e2e,
        "ttft_ms_samples": ttft_samples,
        "tpot_ms_samples": tpot_samples,
        "e2e_ms_samples": e2e_samples,
        "tokens_per_s": _get(report, "latency", "tokens_per_s"),
        "samples_per_s": _get(report, "latency", "samples_per_s"),
        "decode_mode": _get(report, "decode", "mode"),
        "peak_allocated_bytes": memory.get("peak_allocated_bytes") if measured else None,
        "peak_reserved_bytes": memory.get("peak_reserved_bytes") if measured else None,
        "kv_cache_bytes": memory.get("kv_cache_bytes"),
        "git_sha": _get(report, "tool", "git_sha"),
        "time_utc": _get(report, "env", "time_utc"),
        "tpot_p90_ms": _get(report, "latency", "tpot", "p90") if tpot is not None else None,
        "energy_j": energy.get("energy_j"),
        "j_per_token": energy.get("j_per_token"),
        "mean_power_w": energy.get("mean_power_w"),
        "throttled": telemetry.get("throttled"),
        "batches": _get(report, "latency", "batches"),
        "stopped_by": _get(report, "latency", "stopping", "reason"),
        "noise": _get(report, "latency", "stopping", "noise"),
    }
    assert list(row) == list(COLUMNS), "report_row and COLUMNS must list the same columns in the same order"
    return row


def _sweep_rows(path, text):
    best = {}  # cell key -> (rank, row)
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as e:
            if number == len(lines):  # no newline after it: a sweep killed while appending
                print(f"{path}:{number}: unterminated last line is not JSON; ignored", file=sys.stderr)
                break
            raise ReportFormatError(f"{path}:{number}: invalid JSON: {e}") from None
        if not isinstance(value, dict):
            raise ReportFormatError(f"{path}:{number}: a sweep line must be a JSON object")
        if value.get("record") == "sweep":
            continue
        if value.get("record") not in ("cell", None) or not isinstance(value.get("cell"), dict):
            raise ReportFormatError(f"{path}:{number}: not a sweep line (no \"record\": \"cell\" or \"sweep\")")
        status = value.get("status")
        if status not in _STATUS_RANK:
            raise ReportFormatError(f"{path}:{number}: unknown cell status {status!r} (ok, skipped, error)")
        key = value.get("key") or json.dumps(value["cell"], sort_keys=True)
        message = value.get("reason") if status == "skipped" else value.get("error")
        row = report_row(value.get("report"), path, number, key, status, message, value["cell"])
        if key not in best or _STATUS_RANK[status] >= best[key][0]:
            best[key] = (_STATUS_RANK[status], row)
    return [row for _, row in best.values()]


def load_rows(path):
    """The rows of one file: [row] for a run report, one per cell key for a sweep."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ReportFormatError(f"{path}: cannot read: {e}") from None
    try:
        whole = json.loads(text)
    except ValueError:
        whole = None  # several JSON lines: a sweep (or a broken file, which the line reader names)
    if isinstance(whole, dict) and "record" not in whole and "cell" not in whole:
        if not isinstance(whole.get("status"), str) or not isinstance(whole.get("config"), dict):
            raise ReportFormatError(f"{path}: not a gptbench run report (no \"status\" and \"config\") nor a sweep")
        return [report_row(whole, path)]
    if whole is not None and not isinstance(whole, dict):
        raise ReportFormatError(f"{path}: expected a run report (a JSON object) or a sweep (JSON lines)")
    return _sweep_rows(path, text)


def load(paths):
    """A pandas DataFrame with the COLUMNS of every run in `paths` (run reports and sweeps), one row
    per run report or sweep cell, in the order of the files. Raises ReportFormatError naming the
    file (and line) that is neither."""
    import pandas as pd  # here, so that --columns and report_row work without pandas

    if isinstance(paths, (str, Path)):
        paths = [paths]
    rows = [row for path in paths for row in load_rows(path)]
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    # Numbers stay numbers where a run lacks them, so columns can be plotted and averaged: measurements
    # are floats (NaN where absent), counts and sizes nullable integers (<NA> where absent).
    for name in _FLOAT_COLUMNS:
        frame[name] = pd.to_numeric(frame[name]).astype("float64")
    for name in _INTEGER_COLUMNS:
        frame[name] = frame[name].astype("Int64")
    return frame


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", help="run reports (.json) and sweeps (.jsonl)")
    parser.add_argument("--csv", help="write the DataFrame as CSV here instead of printing it")
    parser.add_argument("--columns", action="store_true", help="print the columns and what each holds")
    args = parser.parse_args(argv)
    if args.columns:
        width = max(map(len, COLUMNS))
        for name, what in COLUMNS.items():
            print(f"{name:<{width}}  {what}")
        return 0
    if not args.files:
        parser.error("give run reports or sweeps (or --columns)")
    try:
        frame = load(args.files)
    except ReportFormatError as e:
        print(f"gptbench_reports: {e}", file=sys.stderr)
        return 1
    if args.csv:
        frame.to_csv(args.csv, index=False)
        print(f"wrote {args.csv} ({len(frame)} rows)", file=sys.stderr)
    else:
        import pandas as pd

        shown = [c for c in COLUMNS if not c.endswith("_samples") and frame[c].notna().any()]
        with pd.option_context("display.max_columns", None, "display.width", 200):
            print(frame[shown].to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
