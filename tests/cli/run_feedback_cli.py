#!/usr/bin/env python3
"""What a user sees around a run (issue 23), on a tiny random checkpoint on the CPU:

- config.argv in the report is the command line as typed (the program, the flags, a --preset file
  unexpanded), and --preset is listed in --help of run, train, sweep and attn-bench;
- progress: with stderr not a terminal and --progress-every 0, run announces loading and warm-up and
  prints "[run] k/N samples ..." lines with an ETA on stderr, never on stdout; --no-progress and
  --quiet silence them; train and attn-bench print their lines too;
- the report's env names the host (CPU model, OS, kernel, RAM) and says why NVML values are
  unavailable on the CPU; gpu_telemetry is there, not measured, saying "not a CUDA device";
- --format json|jsonl|md|csv puts the report (or a one-row table) on stdout, for run and attn-bench;
- output paths are checked before any work: a --out/--predictions/--profile in a missing folder
  fails with exit 2, one line naming the flag and the path, nothing written (the model does not
  even exist); a finished run names the files it wrote.

Env: GPTBENCH_BIN, GPTBENCH_DATA_DIR.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

BIN = os.environ.get("GPTBENCH_BIN") or sys.exit("GPTBENCH_BIN is not set")
DATA = Path(os.environ.get("GPTBENCH_DATA_DIR", ""))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from tiny_checkpoint import tiny_checkpoint  # noqa: E402
from check_log import check, finish  # noqa: E402

PROGRESS = re.compile(r"^\[run\] (\d+)/(\d+) samples, [0-9.]+ s elapsed(, ETA .*)?$")


def gptbench(args):
    return subprocess.run([BIN] + [str(a) for a in args], capture_output=True, text=True, stdin=subprocess.DEVNULL)


def main():
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        tiny = tiny_checkpoint(BIN, DATA, tmp / "tiny")
        run = ["run", "--model", tiny, "--device", "cpu", "--dtype", "fp32", "--dataset", "synthetic",
               "--prompt-tokens", 8, "--max-new-tokens", 2, "--limit", 3, "--warmup", 1]

        # argv: the command line as typed, the preset file named, not expanded.
        preset = tmp / "preset.json"
        preset.write_text(json.dumps({"variant": "sdpa"}))
        out = tmp / "r.json"
        res = gptbench(run + ["--preset", preset, "--out", out, "--progress-every", 0])
        check(res.returncode == 0, "tiny run succeeds", res.stderr[-400:])
        report = json.loads(out.read_text()) if out.exists() else {}
        argv = report.get("config", {}).get("argv")
        want = [BIN] + [str(a) for a in run] + ["--preset", str(preset), "--out", str(out), "--progress-every", "0"]
        check(argv == want, "config.argv is the command line as typed", json.dumps(argv)[:300])
        check(report.get("attention", {}).get("variant") == "sdpa", "the preset still applies")

        # Progress on a non-terminal stderr, none on stdout.
        err = res.stderr.splitlines()
        lines = [m for m in (PROGRESS.match(l) for l in err) if m]
        check([int(m.group(1)) for m in lines] == [1, 2, 3] and all(int(m.group(2)) == 3 for m in lines),
              "one [run] k/3 samples line per sample at --progress-every 0", "\n".join(err)[-600:])
        check(lines and lines[0].group(3) is not None and lines[-1].group(3) is None,
              "lines before the end carry an ETA, the last none", "\n".join(err)[-300:])
        check(any(l.startswith("[run] loading ") and str(tiny) in l for l in err), "model loading is announced")
        check(any(l.startswith("[run] warming up") for l in err), "warm-up is announced")
        check(not any("[run]" in l for l in res.stdout.splitlines()), "no progress on stdout", res.stdout[-300:])
        check(any(l.startswith("wrote: ") and f"{out} (--out)" in l for l in err), "the run names the file it wrote")

        # Environment and telemetry on the CPU: present, and honest about what is not there.
        env = report.get("env", {})
        check(env.get("cpu_model") not in (None, "") and isinstance(env.get("ram_bytes"), int) and env["ram_bytes"] > 0
              and "Linux" in env.get("kernel", "") and env.get("os"), "env names CPU, RAM, kernel and OS",
              json.dumps({k: env.get(k) for k in ("cpu_model", "ram_bytes", "kernel", "os")}))
        check(env.get("nvml") == "unavailable: not a CUDA device" and env.get("gpu_power_limit_w") == "unavailable"
              and isinstance(env.get("nvidia_driver"), str) and env["nvidia_driver"],
              "env: NVML values on the CPU say unavailable and why", json.dumps(env)[:400])
        tele = report.get("gpu_telemetry", {})
        check(tele.get("measured") is False and tele.get("unavailable") == "not a CUDA device"
              and tele.get("energy_j") is None and tele.get("j_per_token") is None and tele.get("throttled") is False,
              "gpu_telemetry on the CPU: not measured, saying why, values null", json.dumps(tele)[:300])
        check(report.get("schema_minor") == 5, "schema_minor 5", str(report.get("schema_minor")))

        # --format: the report or a one-row table on stdout.
        res = gptbench(run + ["--format", "json", "--no-progress"])
        try:
            shown = json.loads(res.stdout)
        except ValueError:
            shown = {}
        check(res.returncode == 0 and shown.get("status") == "ok" and "latency" in shown,
              "--format json: the report on stdout", res.stdout[:200])
        res = gptbench(run + ["--format", "jsonl", "--no-progress"])
        check(res.returncode == 0 and len(res.stdout.splitlines()) == 1 and json.loads(res.stdout).get("status") == "ok",
              "--format jsonl: one line", res.stdout[:200])
        res = gptbench(run + ["--format", "csv", "--no-progress"])
        rows = res.stdout.splitlines()
        check(res.returncode == 0 and len(rows) == 2 and rows[0].startswith("report,") and ",standard," in rows[1],
              "--format csv: header and one row", res.stdout[:300])
        res = gptbench(run + ["--format", "md", "--no-progress"])
        check(res.returncode == 0 and res.stdout.startswith("| report |") and "standard" in res.stdout,
              "--format md: a table", res.stdout[:300])
        res = gptbench(run + ["--format", "xml"])
        check(res.returncode == 2 and "--format" in res.stderr, "--format xml: usage error", res.stderr.strip())

        standard = tmp / "standard.json"
        default = gptbench(run + ["--out", standard])  # --progress-every 10: the first and the last sample only
        n = sum(1 for l in default.stderr.splitlines() if PROGRESS.match(l))
        check(default.returncode == 0 and n == 2, "default interval: the first and the last line", f"{n} lines")

        # scripts/plot_reports.py: the PNG bar chart of reports side by side.
        plot = Path(__file__).resolve().parents[2] / "scripts" / "plot_reports.py"
        png = tmp / "chart.png"
        res = subprocess.run([sys.executable, plot, standard, out, "--out", png], capture_output=True, text=True)
        check(res.returncode == 0 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 2000
              and "3 panels, 2 reports" in res.stderr, "plot_reports.py: a PNG of 3 panels (no memory, energy or "
              "quality on the CPU with synthetic prompts)", res.stderr.strip()[-300:])
        for bad, needle in (([standard, tmp / "nope.json"], "nope.json"), ([standard, "--metrics", "speed"], "speed")):
            res = subprocess.run([sys.executable, plot, *bad, "--out", tmp / "x.png"], capture_output=True, text=True)
            lines = res.stderr.strip().splitlines()
            check(res.returncode == 1 and len(lines) == 1 and needle in lines[0] and not (tmp / "x.png").exists(),
                  f"plot_reports.py refuses {needle} in one line", res.stderr.strip()[-300:])
        for flag in ("--no-progress", "--quiet"):
            res = gptbench(run + [flag])
            check(res.returncode == 0 and "[run]" not in res.stderr, f"{flag}: no progress", res.stderr[-300:])
        res = gptbench(run + ["--progress-every", "-1"])
        check(res.returncode == 2 and "--progress-every" in res.stderr, "--progress-every -1 is a usage error",
              res.stderr.strip())

        # Output paths checked before any work: the model does not exist, yet the path error comes first.
        missing = tmp / "no" / "such"
        nope = ["run", "--model", tmp / "nope", "--device", "cpu"]
        for flag in ("--out", "--predictions", "--profile"):
            path = missing / "x.json"
            res = gptbench(nope + [flag, path])
            lines = [l for l in res.stderr.splitlines() if l.strip()]
            check(res.returncode == 2 and len(lines) == 1 and flag in lines[0] and str(path) in lines[0]
                  and "[run]" not in res.stderr, f"run {flag} in a missing folder: exit 2 naming flag and path first",
                  f"exit {res.returncode}: {res.stderr.strip()[-300:]}")
        check(not missing.exists(), "nothing was created")
        res = gptbench(["attn-bench", "--device", "cpu", "--out", missing / "a.json"])
        check(res.returncode == 2 and "--out" in res.stderr and "[attn-bench]" not in res.stderr,
              "attn-bench --out in a missing folder: exit 2 before any shape", res.stderr.strip()[-300:])
        res = gptbench(["train", "--model", tmp / "nope", "--out", tmp / "t", "--report", missing / "t.json"])
        check(res.returncode == 2 and "--report" in res.stderr, "train --report in a missing folder: exit 2",
              res.stderr.strip()[-300:])

        # The other long commands report progress too.
        bench = tmp / "bench.json"
        res = gptbench(["attn-bench", "--device", "cpu", "--dtype", "fp32", "--variants", "sdpa,sdpa-math",
                        "--seq", 16, "--heads", 2, "--head-dim", 16, "--min-runs", 1, "--max-runs", 2,
                        "--min-time-ms", 0, "--warmup", 0, "--out", bench, "--progress-every", 0])
        err = res.stderr.splitlines()
        check(res.returncode == 0 and "[attn-bench] 2/2 shapes" in res.stderr
              and not any("[attn-bench]" in l for l in res.stdout.splitlines()),
              "attn-bench: [attn-bench] k/N shapes on stderr only", res.stderr[-400:])
        check(any(l.startswith("wrote: ") and str(bench) in l for l in err), "attn-bench names its --out")
        small = ["attn-bench", "--device", "cpu", "--dtype", "fp32", "--variants", "sdpa-math", "--seq", 16, "--heads", 2,
                 "--head-dim", 16, "--min-runs", 1, "--max-runs", 2, "--min-time-ms", 0, "--warmup", 0, "--no-progress"]
        res = gptbench(small + ["--format", "csv"])
        rows = res.stdout.splitlines()
        check(res.returncode == 0 and len(rows) == 2 and rows[0].startswith("variant,dtype,")
              and rows[1].startswith("sdpa-math,fp32,") and ",min_time," in rows[1], "attn-bench --format csv",
              res.stdout[:300])
        res = gptbench(small + ["--format", "jsonl"])
        check(res.returncode == 0 and json.loads(res.stdout.splitlines()[0]).get("stopped_by") == "min_time",
              "attn-bench --format jsonl: a row per line with stopped_by", res.stdout[:300])
        res = gptbench(small + ["--format", "json"])
        check(res.returncode == 0 and json.loads(res.stdout).get("command") == "attn-bench",
              "attn-bench --format json: the report", res.stdout[:200])
        text = tmp / "tiny.txt"
        text.write_text("The quick brown fox jumps over the lazy dog. " * 40)
        res = gptbench(["train", "--model", tiny, "--dataset", "text", "--data-path", text, "--seq-len", 16,
                        "--batch-size", 2, "--steps", 3, "--warmup-steps", 1, "--eval-samples", 2, "--log-interval", 1,
                        "--device", "cpu", "--out", tmp / "t1", "--progress-every", 0])
        check(res.returncode == 0 and "[train] loading " in res.stderr and "[train] 3/3 steps" in res.stderr,
              "train: loading announced, [train] k/N steps lines", res.stderr[-400:])

        # init without --tokenizer: GPT-2 gets the data folder's tokenizer, or a note saying how to add one;
        # a run on text then names --tokenizer.
        config = Path(__file__).resolve().parents[1] / "model" / "configs" / "tiny.json"
        res = gptbench(["init", "--config", config, "--out", tmp / "with_tok", "--data-dir", DATA])
        check(res.returncode == 0 and (tmp / "with_tok" / "vocab.json").is_file()
              and (tmp / "with_tok" / "merges.txt").is_file() and "copied the tokenizer" in res.stderr,
              "init copies the data folder's GPT-2 tokenizer", res.stderr.strip()[-300:])
        (tmp / "empty_data").mkdir()
        res = gptbench(["init", "--config", config, "--out", tmp / "no_tok", "--data-dir", tmp / "empty_data"])
        check(res.returncode == 0 and not (tmp / "no_tok" / "vocab.json").exists()
              and "get_data.sh" in res.stderr and "--tokenizer" in res.stderr,
              "init without a tokenizer to copy says how to add one", res.stderr.strip()[-300:])
        jsonl = tmp / "one.jsonl"
        jsonl.write_text('{"source": "a b c d", "reference": "b", "id": "x"}\n')
        res = gptbench(["run", "--model", tmp / "no_tok", "--device", "cpu", "--dataset", "jsonl", "--data", jsonl,
                        "--split", "all", "--max-new-tokens", 1, "--no-progress"])
        check(res.returncode == 1 and "--tokenizer" in res.stderr.strip().splitlines()[-1],
              "run on a checkpoint without a tokenizer names --tokenizer", res.stderr.strip()[-300:])

        for cmd in ("run", "train", "sweep", "attn-bench"):
            res = gptbench([cmd, "--help"])
            check(res.returncode == 0 and "--preset" in res.stdout, f"{cmd} --help lists --preset")
    finish()


if __name__ == "__main__":
    main()
