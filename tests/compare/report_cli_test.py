#!/usr/bin/env python3
"""`gptbench report` end to end on real run reports of the binary (tiny random model, CPU, synthetic
prompts): two variants side by side in markdown and CSV with ratios against the first, an error
report as a row, --out, and the one-line errors: a sweep, a file that is not a run report, a missing
file, a bad --format. Env: GPTBENCH_BIN.
"""
import csv
import io
import json
import sys
import tempfile
from pathlib import Path

from checklist import Checklist  # Checklist (beside this file)
from tiny_runs import RUN_FLAGS, gptbench, init_tiny, run_variants  # (beside this file)

checks = Checklist()
check = checks.check


def one_error_line(res, code, *needles):
    lines = [l for l in res.stderr.splitlines() if l.strip()]
    return (res.returncode == code and len(lines) == 1 and lines[0].startswith("gptbench: ") and
            all(n in lines[0] for n in needles))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model = tmp / "tiny"
        init_tiny(model)
        reports = run_variants(model, tmp)
        std, sdpa = reports["standard"], reports["sdpa"]
        # flash refuses the CPU: an error report
        gptbench("run", "--model", model, *RUN_FLAGS, "--variant", "flash", "--out", tmp / "error.json")

        res = gptbench("report", tmp / "standard.json", tmp / "sdpa.json", tmp / "error.json")
        rows = [l for l in res.stdout.splitlines() if l.startswith("| ")]
        ratio = sdpa["latency"]["tpot"]["p50"] / std["latency"]["tpot"]["p50"]
        check("markdown: a header and one row per report, exit 0, nothing on stderr",
              res.returncode == 0 and not res.stderr and len(rows) == 4 and
              rows[0].startswith("| report | variant | device | kernel | TTFT p50 (ms) | TPOT p50 (ms) | tokens/s |"),
              res.stdout + res.stderr)
        check("the sdpa row: its kernel, its TPOT and the ratio against the first",
              len(rows) > 2 and f"| {sdpa['attention']['kernel']} |" in rows[2] and
              f"{sdpa['latency']['tpot']['p50']:.3f} ({ratio:.2f}x)" in rows[2], rows)
        check("the failed run is a row and a note", len(rows) > 3 and "flash (failed)" in rows[3] and
              f"{tmp / 'error.json'}: the run failed:" in res.stdout, res.stdout)
        check("the config differences from the first are listed",
              f"{tmp / 'sdpa.json'} differs from {tmp / 'standard.json'}: config.variant" in res.stdout, res.stdout)

        res = gptbench("report", tmp / "standard.json", tmp / "sdpa.json", "--format", "csv")
        table = list(csv.DictReader(io.StringIO(res.stdout)))
        check("csv: one record per report with values and ratios at full precision",
              res.returncode == 0 and len(table) == 2 and table[1]["variant"] == "sdpa" and
              float(table[1]["tpot_ms"]) == sdpa["latency"]["tpot"]["p50"] and
              abs(float(table[1]["tpot_ms_ratio"]) - ratio) < 1e-12 and table[0]["tpot_ms_ratio"] == "" and
              table[0]["rouge1"] == "", res.stdout)

        out = tmp / "table.md"
        res = gptbench("report", tmp / "standard.json", tmp / "sdpa.json", "--out", out)
        check("--out writes the table and names the file", res.returncode == 0 and out.exists() and
              out.read_text().startswith("| report |") and str(out) in res.stderr and not res.stdout, res.stderr)

        sweep = tmp / "s.jsonl"
        sweep.write_text(json.dumps({"record": "sweep", "schema_version": 1}) + "\n" +
                         json.dumps({"record": "cell", "key": "k", "cell": {"variant": "standard"}, "status": "ok",
                                     "report": std}) + "\n")
        check("a sweep: usage error naming it", one_error_line(gptbench("report", tmp / "standard.json", sweep), 2,
                                                                f"{sweep} is a sweep, not a run report"))
        train_like = tmp / "other.json"
        train_like.write_text('{"kind": "something else"}\n')
        check("not a run report: error naming it", one_error_line(gptbench("report", train_like), 1, str(train_like),
                                                                   "not a gptbench run report"))
        check("a missing file: error naming it", one_error_line(gptbench("report", tmp / "missing.json"), 1,
                                                                 "missing.json"))
        check("a bad --format: usage error", one_error_line(gptbench("report", tmp / "standard.json", "--format", "xml"),
                                                            2, "--format"))
        check("no report given: usage error", one_error_line(gptbench("report"), 2, "reports"))
        check("--out onto an input: refused before reading",
              one_error_line(gptbench("report", tmp / "standard.json", "--out", tmp / "standard.json"), 2, "--out"))

    return checks.exit_status("report CLI")


if __name__ == "__main__":
    sys.exit(main())
