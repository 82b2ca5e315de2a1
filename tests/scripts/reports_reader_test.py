#!/usr/bin/env python3
"""scripts/gptbench_reports.py on real outputs of the binary under test (tiny random model, CPU):
two run reports (standard, sdpa), a perplexity report, an error report and a sweep with a skipped
cell and a retried one. Checks the DataFrame's columns (exactly COLUMNS, each documented), that the
values are the reports' own (medians, tokens/s, kernel, perplexity), that what a run lacks is
NaN/None and not 0, the sweep rule "best status counts", and the command line (--columns, --csv, a
file that is not a report). Env: GPTBENCH_BIN, GPTBENCH_DATA_DIR (the GPT-2 tokenizer).
"""
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "tests" / "compare")]
import gptbench_reports  # noqa: E402  (the module under test, from scripts/)
from checklist import Checklist  # noqa: E402  (tests/compare/checklist.py)
from tiny_runs import RUN_FLAGS, gptbench, init_tiny, run_variants  # noqa: E402  (tests/compare/tiny_runs.py)
import pandas as pd  # noqa: E402

READER = ROOT / "scripts" / "gptbench_reports.py"
DATA = Path(os.environ.get("GPTBENCH_DATA_DIR") or ROOT.parent / "shared" / "data")
checks = Checklist()
check = checks.check


def main():
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model = tmp / "tiny"
        # The GPT-2 tokenizer beside the weights: the perplexity run tokenizes text.
        init_tiny(model, "--tokenizer", DATA / "gpt2_tokenizer")
        run_variants(model, tmp)
        text = tmp / "text.txt"
        text.write_text(" ".join(f"word{i % 97}" for i in range(400)) + "\n")
        res = gptbench("run", "--task", "perplexity", "--model", model, "--data", text, "--stride", 16, "--device", "cpu",
                       "--out", tmp / "ppl.json")
        if res.returncode != 0:
            sys.exit(f"gptbench run --task perplexity failed: {res.stderr}")
        gptbench("run", "--model", model, *RUN_FLAGS, "--variant", "flash", "--out", tmp / "error.json")  # flash refuses the CPU
        sweep = tmp / "sweep.jsonl"
        res = gptbench("sweep", "--model", model, "--device", "cpu", "--variants", "standard,flash", "--batch-sizes",
                       "1", "--seq-lens", "8", "--new-tokens", "4", "--batches", "1", "--warmup", "0", "--quiet",
                       "--out", sweep, "--no-summary")
        if res.returncode != 0:
            sys.exit(f"gptbench sweep failed: {res.stderr}")
        # A retried cell: an earlier error line for the cell that ran must not count.
        lines = sweep.read_text().splitlines()
        ran = json.loads(next(l for l in lines if '"status":"ok"' in l.replace(" ", "")))
        earlier = dict(ran, status="error", error="CUDA out of memory", report=None)
        sweep.write_text("\n".join([lines[0], json.dumps(earlier)] + lines[1:]) + "\n")

        reports = {name: json.loads((tmp / f"{name}.json").read_text()) for name in ("standard", "sdpa", "ppl", "error")}
        files = [tmp / "standard.json", tmp / "sdpa.json", tmp / "ppl.json", tmp / "error.json", sweep]
        df = gptbench_reports.load(files)

        check("the columns are exactly COLUMNS, in order", list(df.columns) == list(gptbench_reports.COLUMNS),
              list(df.columns))
        check("every column is documented", all(isinstance(v, str) and len(v) > 10
                                                for v in gptbench_reports.COLUMNS.values()))
        check("one row per report and per sweep cell", len(df) == 6, df[["source", "status"]].to_string())

        std = df.iloc[0]
        r = reports["standard"]
        check("a run report's values are its own",
              std["variant"] == "standard" and std["kernel"] == r["attention"]["kernel"] and
              std["ttft_ms"] == r["latency"]["ttft"]["p50"] and std["tpot_ms"] == r["latency"]["tpot"]["p50"] and
              std["e2e_ms"] == r["latency"]["e2e"]["p50"] and std["tokens_per_s"] == r["latency"]["tokens_per_s"] and
              std["ttft_ms_samples"] == r["latency"]["ttft"]["samples"] and std["batch_size"] == 2 and
              std["status"] == "ok" and std["device"] == "cpu" and pd.isna(std["line"]) and
              str(df["batch_size"].dtype) == "Int64" and str(df["ttft_ms"].dtype) == "float64",
              std.to_dict())
        check("what a CPU run on synthetic prompts lacks is missing, not 0",
              math.isnan(std["rougeL"]) and math.isnan(std["bleu"]) and pd.isna(std["peak_allocated_bytes"]) and
              pd.isna(std["gpu"]) and math.isnan(std["perplexity"]), std.to_dict())
        check("the stopping rule's outcome, and no energy on the CPU (None, not 0)",
              std["stopped_by"] == r["latency"]["stopping"]["reason"] and std["batches"] == r["latency"]["batches"] and
              std["noise"] == r["latency"]["stopping"]["noise"] and pd.isna(std["j_per_token"]) and
              pd.isna(std["mean_power_w"]) and pd.isna(std["energy_j"]) and std["throttled"] == False and  # noqa: E712
              pd.isna(std["tpot_p90_ms"]), std.to_dict())
        # Energy where the GPU measured it: a report as a GPU run writes gpu_telemetry.
        gpu = dict(r, gpu_telemetry=dict(r["gpu_telemetry"], measured=True, energy_j=12.5, j_per_token=0.25,
                                         mean_power_w=400.0, unavailable=None))
        gpu["latency"] = dict(r["latency"], tpot=dict(r["latency"]["tpot"], p90=3.5))
        row = gptbench_reports.report_row(gpu, "gpu.json")
        check("energy and TPOT p90 from a measured report", row["j_per_token"] == 0.25 and row["mean_power_w"] == 400.0
              and row["energy_j"] == 12.5 and row["tpot_p90_ms"] == 3.5, row)
        check("the second report is sdpa", df.iloc[1]["variant"] == "sdpa" and
              df.iloc[1]["kernel"] == reports["sdpa"]["attention"]["kernel"])
        ppl = df.iloc[2]
        check("a perplexity report: perplexity and tokens/s, no latency medians",
              ppl["task"] == "perplexity" and ppl["perplexity"] == reports["ppl"]["quality"]["perplexity"] and
              ppl["tokens_per_s"] == reports["ppl"]["latency"]["tokens_per_s"] and math.isnan(ppl["ttft_ms"]),
              ppl.to_dict())
        err = df.iloc[3]
        check("an error report is a row with its message", err["status"] == "error" and "flash" in err["message"],
              err.to_dict())
        cells = df[df["cell_key"].notna()]
        by_key = {row["cell_key"]: row for _, row in cells.iterrows()}
        check("a sweep gives one row per cell key", sorted(by_key) == ["flash/fp32/w-/b1/p8/n4", "standard/fp32/w-/b1/p8/n4"],
              sorted(by_key))
        s = by_key.get("standard/fp32/w-/b1/p8/n4")
        check("a retried cell: the ok line counts, not the earlier error",
              s is not None and s["status"] == "ok" and s["ttft_ms"] == ran["report"]["latency"]["ttft"]["p50"] and
              s["line"] == 3, None if s is None else s.to_dict())
        f = by_key.get("flash/fp32/w-/b1/p8/n4")
        check("a skipped cell is a row with its reason and the cell's shape",
              f is not None and f["status"] == "skipped" and "flash" in f["message"] and f["variant"] == "flash" and
              f["batch_size"] == 1 and math.isnan(f["ttft_ms"]), None if f is None else f.to_dict())

        py = sys.executable
        res = subprocess.run([py, READER, "--columns"], capture_output=True, text=True)
        check("--columns lists every column", res.returncode == 0 and
              [l.split()[0] for l in res.stdout.splitlines()] == list(gptbench_reports.COLUMNS), res.stdout[:500])
        out = tmp / "all.csv"
        res = subprocess.run([py, READER, *files, "--csv", out], capture_output=True, text=True)
        back = pd.read_csv(out) if out.exists() else None
        check("--csv writes the DataFrame", res.returncode == 0 and back is not None and len(back) == 6 and
              list(back.columns) == list(gptbench_reports.COLUMNS), res.stderr)
        res = subprocess.run([py, READER, tmp / "standard.json"], capture_output=True, text=True)
        check("printing a table", res.returncode == 0 and "standard" in res.stdout and "ttft_ms" in res.stdout,
              res.stdout + res.stderr)
        bad = tmp / "bad.json"
        bad.write_text('{"hello": 1}\n')
        res = subprocess.run([py, READER, bad], capture_output=True, text=True)
        check("a file that is not a report: exit 1 naming it", res.returncode == 1 and str(bad) in res.stderr and
              "not a gptbench run report" in res.stderr, res.stderr)
        broken = tmp / "broken.jsonl"
        broken.write_text(lines[0] + "\n{not json\n" + lines[1] + "\n")
        res = subprocess.run([py, READER, broken], capture_output=True, text=True)
        check("a broken sweep line: exit 1 naming file and line", res.returncode == 1 and f"{broken}:2" in res.stderr,
              res.stderr)

    return checks.exit_status("gptbench_reports")

if __name__ == "__main__":
    sys.exit(main())
