#!/usr/bin/env python3
"""Issue 23's remaining run items on a tiny random checkpoint on the CPU:

- the stopping rule: a plain run times one pass and says so (latency.stopping, reason min_time);
  --min-batches repeats the prompts; --max-batches cuts a pass and scores only the prompts that ran;
  --max-noise with a loose bound stops at the minimums, with a tight one at --max-batches; the text
  output names the rule's outcome; bad flags are one-line usage errors; perplexity refuses them;
- percentiles: p90 only from 10 batches, p99 only from 100 (null below, n beside them);
- config.flash_arch echoes --flash-arch;
- --model owner/name from a fake Hugging Face cache (HF_HUB_CACHE), and the error naming the cache
  folder and `hf download` when the id is not cached;
- a dataset missing from the data folder: the error names the file and scripts/get_data.sh.

Env: GPTBENCH_BIN, GPTBENCH_DATA_DIR.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BIN = os.environ.get("GPTBENCH_BIN") or sys.exit("GPTBENCH_BIN is not set")
DATA = Path(os.environ.get("GPTBENCH_DATA_DIR", ""))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from tiny_checkpoint import tiny_checkpoint  # noqa: E402
from check_log import check, finish  # noqa: E402


def gptbench(args, env=None):
    return subprocess.run([BIN] + [str(a) for a in args], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          env=env)


def one_line_error(res, code, *needles):
    lines = [l for l in res.stderr.splitlines() if l.strip()]
    return res.returncode == code and len(lines) == 1 and all(n in lines[0] for n in needles)


def report_of(res, path):
    return json.loads(Path(path).read_text()) if res.returncode == 0 and Path(path).exists() else {}


def main():
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        tiny = tiny_checkpoint(BIN, DATA, tmp / "tiny")
        run = ["run", "--model", tiny, "--device", "cpu", "--dataset", "synthetic", "--prompt-tokens", 8,
               "--max-new-tokens", 3, "--min-new-tokens", 3, "--warmup", 0, "--no-progress"]

        # A plain run: one pass over 3 prompts, the rule recorded, p90 and p99 withheld.
        out = tmp / "plain.json"
        res = gptbench(run + ["--limit", 3, "--out", out])
        r = report_of(res, out)
        lat = r.get("latency", {})
        st = lat.get("stopping", {})
        check(res.returncode == 0 and st.get("reason") == "min_time" and st.get("batches") == 3 and st.get("samples") == 3
              and st.get("rule", {}).get("min_batches") == 3 and st.get("rule", {}).get("max_batches") is None,
              "a plain run times one pass and records the rule", json.dumps(st) + res.stderr[-300:])
        check(r.get("schema_minor") == 5 and r.get("config", {}).get("flash_arch") == "auto"
              and "stopping" not in r.get("config", {}), "schema minor 5, config.flash_arch, no stopping flags echoed",
              json.dumps(r.get("config", {}))[:300])
        check(lat.get("e2e", {}).get("n") == 3 and lat["e2e"].get("p90", 0) is None and lat["e2e"].get("p99", 0) is None
              and isinstance(lat["e2e"].get("p50"), float), "3 batches: p90 and p99 null, n and p50 there",
              json.dumps(lat.get("e2e", {}))[:300])
        check("stopping rule" not in res.stdout, "no stopping line without stopping flags", res.stdout)

        # --min-batches 12 over 2 prompts: the prompts repeat; 12 batches back a p90, not a p99.
        out = tmp / "min.json"
        res = gptbench(run + ["--limit", 2, "--min-batches", 12, "--flash-arch", "sm80", "--out", out])
        r = report_of(res, out)
        lat = r.get("latency", {})
        st = lat.get("stopping", {})
        check(st.get("batches") == 12 and st.get("samples") == 12 and lat.get("batches") == 12
              and lat.get("e2e", {}).get("n") == 12 and st.get("reason") == "min_time"
              and lat.get("generated_tokens") == 36 and r.get("dataset", {}).get("n_samples") == 2,
              "--min-batches 12 repeats 2 prompts 6 times; tokens count every batch", json.dumps(st) + res.stderr[-300:])
        check(isinstance(lat.get("e2e", {}).get("p90"), float) and lat["e2e"].get("p99", 0) is None,
              "12 batches: p90 reported, p99 withheld", json.dumps(lat.get("e2e", {}))[:200])
        check(r.get("config", {}).get("flash_arch") == "sm80"
              and r.get("config", {}).get("stopping", {}).get("min_batches") == 12,
              "config echoes --flash-arch and the stopping flags as given", json.dumps(r.get("config", {}))[:400])
        check("stopping rule: 12 batches (12 samples)" in res.stdout and "stopped by min_time" in res.stdout,
              "the text output names the rule's outcome", res.stdout)

        # --max-batches cuts a pass.
        out = tmp / "max.json"
        res = gptbench(run + ["--limit", 5, "--max-batches", 2, "--out", out])
        st = report_of(res, out).get("latency", {}).get("stopping", {})
        check(st.get("batches") == 2 and st.get("reason") == "max_batches" and st.get("rule", {}).get("max_batches") == 2,
              "--max-batches 2 of a 5-batch pass stops at 2", json.dumps(st) + res.stderr[-300:])

        # --max-noise: a loose bound stops at the minimums, an impossible one runs to --max-batches.
        out = tmp / "loose.json"
        res = gptbench(run + ["--limit", 2, "--min-batches", 3, "--max-noise", 100, "--max-batches", 40, "--out", out])
        st = report_of(res, out).get("latency", {}).get("stopping", {})
        check(st.get("reason") == "max_noise" and st.get("batches") == 3 and st.get("noise", -1) >= 0,
              "--max-noise 100: stops at the minimums by the noise bound", json.dumps(st) + res.stderr[-300:])
        out = tmp / "tight.json"
        res = gptbench(run + ["--limit", 2, "--min-batches", 3, "--max-noise", 1e-12, "--max-batches", 7, "--out", out])
        st = report_of(res, out).get("latency", {}).get("stopping", {})
        check(st.get("reason") == "max_batches" and st.get("batches") == 7 and st.get("noise", 0) > 1e-12,
              "--max-noise 1e-12: not reached, stopped by --max-batches", json.dumps(st) + res.stderr[-300:])

        for flags, needle in ((["--min-batches", 0], "--min-batches"), (["--max-batches", 2, "--min-batches", 3],
                              "--max-batches 2 is below --min-batches 3"), (["--max-noise", -1], "--max-noise"),
                              (["--min-time", -2], "--min-time must be >= 0"), (["--max-time", "x"], "--max-time")):
            res = gptbench(run + ["--limit", 2] + flags)
            check(one_line_error(res, 2, needle), f"{' '.join(map(str, flags))}: one-line usage error",
                  f"exit {res.returncode}: {res.stderr.strip()[-300:]}")
        res = gptbench(["run", "--model", tiny, "--device", "cpu", "--task", "perplexity", "--max-batches", 3])
        check(one_line_error(res, 2, "--task summarization"), "perplexity refuses the stopping flags",
              res.stderr.strip()[-300:])

        # sweep applies the rule to each cell, and names it in its definition.
        sweep = tmp / "s.jsonl"
        res = gptbench(["sweep", "--model", tiny, "--device", "cpu", "--variants", "standard,sdpa", "--batch-sizes", 1,
                        "--seq-lens", 8, "--new-tokens", 2, "--batches", 3, "--warmup", 0, "--max-batches", 2,
                        "--max-noise", 0.5, "--quiet", "--out", sweep, "--no-summary"])
        lines = [json.loads(l) for l in sweep.read_text().splitlines()] if sweep.exists() else []
        cells = [l for l in lines if l.get("record") == "cell"]
        stops = [(c.get("report") or {}).get("latency", {}).get("stopping", {}) for c in cells]
        check(res.returncode == 0 and len(cells) == 2 and all(st.get("rule", {}).get("max_batches") == 2
                                                              and st.get("batches", 9) <= 2 for st in stops),
              "sweep: each cell under the rule (at most 2 of its 3 batches)", json.dumps(stops)[:400] + res.stderr[-300:])
        definition = json.dumps(lines[0]) if lines else ""
        check('"stopping"' in definition and '"max_noise": 0.5' in definition.replace('"max_noise":0.5', '"max_noise": 0.5'),
              "the sweep's definition names the rule", definition[:600])

        # --model owner/name from the local Hugging Face cache (a fake one: no network).
        cache = tmp / "hf"
        snapshot = cache / "models--tiny-owner--tiny-gpt2" / "snapshots" / "abc123"
        shutil.copytree(tiny, snapshot)
        (snapshot.parent.parent / "refs").mkdir()
        (snapshot.parent.parent / "refs" / "main").write_text("abc123")
        env = dict(os.environ, HF_HUB_CACHE=str(cache))
        out = tmp / "hub.json"
        res = gptbench(["run", "--model", "tiny-owner/tiny-gpt2"] + run[3:] + ["--limit", 1, "--out", out], env=env)
        r = report_of(res, out)
        check(r.get("status") == "ok" and r.get("config", {}).get("model") == str(snapshot),
              "--model owner/name runs the cached snapshot refs/main names", res.stderr.strip()[-300:])
        res = gptbench(["info", "--model", "tiny-owner/tiny-gpt2"], env=env)
        check(res.returncode == 0, "gptbench info takes the hub id too", res.stderr.strip()[-300:])
        res = gptbench(["run", "--model", "openai-community/gpt2"] + run[3:], env=env)
        check(one_line_error(res, 1, "--model openai-community/gpt2", str(cache / "models--openai-community--gpt2"),
                             "hf download openai-community/gpt2"),
              "an id not in the cache: one line naming the folder looked in and the hf download command",
              f"exit {res.returncode}: {res.stderr.strip()[-400:]}")

        # A dataset missing from the data folder: the file and the command that fetches it.
        empty = tmp / "empty_data"
        empty.mkdir()
        res = gptbench(["run", "--model", tiny, "--device", "cpu", "--dataset", "news_summary", "--data-dir", empty,
                        "--no-progress"])
        check(one_line_error(res, 1, str(empty / "news_summary" / "news_summary.csv"), "no such file",
                             f"scripts/get_data.sh --only news_summary --data-dir {empty}"),
              "a missing news_summary.csv: the file and the get_data.sh command", res.stderr.strip()[-400:])
        res = gptbench(["run", "--model", tiny, "--device", "cpu", "--task", "perplexity", "--data-dir", empty,
                        "--no-progress"])
        check(one_line_error(res, 1, "wiki.test.raw: no such file", "scripts/get_data.sh --only wikitext2"),
              "a missing WikiText-2: the file and the get_data.sh command", res.stderr.strip()[-400:])
    finish()


if __name__ == "__main__":
    main()
