#!/usr/bin/env python3
"""`gptbench compare` end to end: a real report of `gptbench run` (tiny random model, CPU, synthetic
prompts), perturbed the way regressions look, checked by exit code, the verdict column of the table,
the one-line error and the --json output.

The real report's timings are CPU noise, so the perturbed copies get controlled latency samples
(tight: 1 % around the median, or wide: 60 %), measured memory and quality scores; everything else
stays as `gptbench run` wrote it. Env: GPTBENCH_BIN.
"""
import copy
import json
import sys
import tempfile
from pathlib import Path

from checklist import Checklist  # Checklist (beside this file)

from tiny_runs import gptbench, init_tiny  # (beside this file)

checks = Checklist()
check = checks.check


def verdicts(stdout):
    """{metric: verdict} from the table rows ("  metric (unit)  base  new  change  verdict  why")."""
    out = {}
    for line in stdout.splitlines():
        words = line.split()
        if len(words) >= 6 and words[1].startswith("(") and words[0].count(".") >= 1 and not line.startswith("  note"):
            out.setdefault(words[0], []).append(words[5])
    return out


def expect(label, args, code, verdict=None, stderr_has=(), stdout_has=()):
    """Runs `gptbench compare ARGS`; checks the exit code, the verdicts {metric: verdict} of the table
    (every cell), the one error line on stderr and text on stdout."""
    res = gptbench("compare", *args)
    lines = [l for l in res.stderr.splitlines() if l.strip()]
    problems = []
    if res.returncode != code:
        problems.append(f"exit {res.returncode}, want {code}")
    if code != 0 and (len(lines) != 1 or not lines[0].startswith("gptbench: ")):
        problems.append(f"want one error line on stderr, got {lines}")
    if code == 0 and lines:
        problems.append(f"want no stderr, got {lines}")
    for needle in stderr_has:
        if needle not in res.stderr:
            problems.append(f"stderr lacks {needle!r}")
    for needle in stdout_has:
        if needle not in res.stdout:
            problems.append(f"stdout lacks {needle!r}")
    table = verdicts(res.stdout)
    for metric, want in (verdict or {}).items():
        if want not in table.get(metric, []):
            problems.append(f"{metric}: verdicts {table.get(metric)}, want {want}")
    if any(w in res.stderr for w in ("terminate called", "Segmentation", "Aborted")):
        problems.append("crashed")
    check(label, not problems, "; ".join(problems) + f"\n       stderr: {res.stderr.strip()[:300]}"
          f"\n       stdout: {res.stdout[:1500]}")
    return res


def samples(median, spread, n=20):
    return [median * (1 + spread * (2 * i / (n - 1) - 1)) for i in range(n)]


def with_latency(report, ttft=4.0, tpot=3.0, e2e=200.0, spread=0.01):
    r = copy.deepcopy(report)
    for name, median in (("ttft", ttft), ("tpot", tpot), ("e2e", e2e)):
        s = samples(median, spread)
        r["latency"][name].update({"samples": s, "n": len(s), "p50": median})
    return r


def write(path, obj):
    path.write_text(json.dumps(obj, indent=2) + "\n")
    return path


def main():
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model = tmp / "tiny"
        init_tiny(model)
        run = gptbench("run", "--model", model, "--dataset", "synthetic", "--prompt-tokens", 8, "--max-new-tokens", 4,
                       "--min-new-tokens", 4, "--limit", 6, "--device", "cpu", "--quiet", "--out", tmp / "real.json")
        if run.returncode != 0:
            sys.exit(f"gptbench run failed: {run.stderr}")
        real = json.loads((tmp / "real.json").read_text())

        # The real report against itself: every latency compared, memory and quality noted as absent.
        expect("real report vs itself", [tmp / "real.json", tmp / "real.json"], 0,
               {"latency.ttft.p50": "ok", "latency.tpot.p50": "ok", "latency.e2e.p50": "ok"},
               stdout_has=["not measured (a CPU run)", "quality: not compared", "result: ok"])

        # A real-shaped report with controlled samples, measured memory and quality scores.
        shaped = with_latency(real)
        shaped["memory"].update({"measured": True, "peak_allocated_bytes": 100 * 2**20})
        # A whole quality block (compare reads the report as its type): these two scores matter.
        prf = {"precision": 0.0, "recall": 0.0, "fmeasure": 0.0}
        shaped["quality"] = {"rouge1": prf, "rouge2": prf, "rougeL": dict(prf, fmeasure=0.30), "rougeLsum": prf,
                             "rouge_stemmer": "porter", "sentence_bleu_mean": 0.0, "n_samples": 4,
                             "bleu": {"score": 12.0, "signature": "", "precisions": [0.0] * 4, "bp": 1.0,
                                      "ratio": 1.0, "hyp_len": 0, "ref_len": 0, "counts": [0] * 4, "totals": [0] * 4}}
        base = write(tmp / "base.json", shaped)

        def new(name, mutate):
            r = copy.deepcopy(shaped)
            mutate(r)
            return write(tmp / f"{name}.json", r)

        same = new("same", lambda r: None)
        expect("same numbers: ok", [base, same], 0,
               {"latency.ttft.p50": "ok", "memory.peak_allocated_bytes": "ok", "quality.rougeL.fmeasure": "ok",
                "quality.bleu.score/100": "ok"})
        slow = write(tmp / "slow.json", with_latency(shaped, ttft=4.8))
        expect("ttft +20%, tight samples: regressed, exit 1", [base, slow], 1,
               {"latency.ttft.p50": "regressed", "latency.tpot.p50": "ok"},
               stderr_has=["1 failure", "latency.ttft.p50 (ms) regressed, 4.000 -> 4.800 (+20.00%)"])
        expect("ttft +20% under --max-latency-regression 25%: ok", [base, slow, "--max-latency-regression", "25%"], 0,
               {"latency.ttft.p50": "ok"})
        expect("ttft +20%, only tpot compared: ok", [base, slow, "--latency-metrics", "tpot"], 0,
               {"latency.tpot.p50": "ok"})
        slightly = write(tmp / "slightly.json", with_latency(shaped, ttft=4.12))
        expect("ttft +3%: ok", [base, slightly], 0, {"latency.ttft.p50": "ok"})
        wide_base = write(tmp / "wide_base.json", with_latency(shaped, spread=0.6))
        wide_slow = write(tmp / "wide_slow.json", with_latency(shaped, ttft=4.8, spread=0.6))
        expect("ttft +20%, huge spread: noisy, exit 0", [wide_base, wide_slow], 0, {"latency.ttft.p50": "noisy"},
               stdout_has=["within the spread"])
        expect("--min-samples above the sample count: spread not judged, regressed",
               [wide_base, wide_slow, "--min-samples", 50], 1, {"latency.ttft.p50": "regressed"},
               stdout_has=["spread not judged"])
        faster = write(tmp / "faster.json", with_latency(shaped, ttft=3.0))
        expect("ttft -25%: improved, exit 0", [base, faster], 0, {"latency.ttft.p50": "improved"})

        more_memory = new("memory", lambda r: r["memory"].update({"peak_allocated_bytes": 110 * 2**20}))
        expect("peak allocated +10%: regressed", [base, more_memory], 1, {"memory.peak_allocated_bytes": "regressed"},
               stderr_has=["memory.peak_allocated_bytes (MiB) regressed, 100.0 -> 110.0 (+10.00%)"])
        expect("peak allocated +10% under --max-memory-regression 0.15: ok",
               [base, more_memory, "--max-memory-regression", "0.15"], 0, {"memory.peak_allocated_bytes": "ok"})
        worse = new("worse", lambda r: r["quality"]["rougeL"].update({"fmeasure": 0.29}))
        expect("ROUGE-L -0.01: regressed", [base, worse], 1, {"quality.rougeL.fmeasure": "regressed"})
        expect("ROUGE-L -0.01 under --max-quality-drop 0.02: ok", [base, worse, "--max-quality-drop", "0.02"], 0,
               {"quality.rougeL.fmeasure": "ok"})
        expect("ROUGE-L -0.01, only BLEU compared: ok", [base, worse, "--quality-metrics", "bleu"], 0,
               {"quality.bleu.score/100": "ok"})
        low_bleu = new("low_bleu", lambda r: r["quality"]["bleu"].update({"score": 11.0}))
        expect("BLEU -1 point (0.01 on the 0-1 scale): regressed", [base, low_bleu], 1,
               {"quality.bleu.score/100": "regressed"})

        # Config differences: refused (exit 2) with what differs, unless allowed.
        other = new("other_config", lambda r: r["config"].update({"batch_size": 8, "warmup": 5}))
        expect("config differs: refused", [base, other], 2,
               stderr_has=["differ in 2 keys", "--allow-config-diff"],
               stdout_has=["config.batch_size: 1 vs 8", "config.warmup: 1 vs 5", "result: refused"])
        expect("config differs, --allow-config-diff: compared", [base, other, "--allow-config-diff"], 0,
               {"latency.ttft.p50": "ok"}, stdout_has=["allowed by --allow-config-diff"])
        # GPU models: a baseline of another GPU model is refused (exit 2, one line naming both) unless allowed.
        def on_gpu(name, gpu):
            return new(name, lambda r: r["env"].update({"device": "cuda:0", "gpu": gpu}))

        h100, h200 = on_gpu("h100", "NVIDIA H100 80GB HBM3"), on_gpu("h200", "NVIDIA H200")
        expect("same GPU model: compared", [h100, on_gpu("h100_again", "NVIDIA H100 80GB HBM3")], 0,
               {"latency.ttft.p50": "ok"})
        expect("baseline of another GPU model: refused", [h100, h200], 2,
               stderr_has=[f"BASE {h100} was measured on NVIDIA H100 80GB HBM3 but NEW {h200} on NVIDIA H200",
                           "--allow-device-diff"],
               stdout_has=["GPU models differ", "NVIDIA H100 80GB HBM3 vs NVIDIA H200",
                           "result: refused (the GPU models differ)"])
        expect("another GPU model, --allow-device-diff: compared", [h100, h200, "--allow-device-diff"], 0,
               {"latency.ttft.p50": "ok"}, stdout_has=["allowed by --allow-device-diff", "env.gpu"])
        expect("a CPU report against a GPU baseline: refused as another device", [h100, base, "--allow-config-diff"],
               2, stderr_has=["on NVIDIA H100 80GB HBM3 but NEW", "on cpu", "--allow-device-diff"])
        out = tmp / "device.json"
        expect("--json on a GPU model refusal", [h100, h200, "--json", out], 2)
        j = json.loads(out.read_text()) if out.exists() else {}
        check("--json lists the GPU models", j.get("verdict") == "refused" and j.get("allow_device_diff") is False and
              j.get("device_differences") == [{"base": "NVIDIA H100 80GB HBM3", "new": "NVIDIA H200", "cells": 1}],
              json.dumps(j)[:800])

        def elsewhere(r):
            r["config"].update({"argv": ["run", "--out", "x.json"], "data_dir": "/elsewhere"})
            r["tool"]["git_sha"] = "0123abc-dirty"
            r["env"]["host"] = "other-host"

        moved = new("moved", elsewhere)
        expect("argv, data_dir, code version, host differ: compared, noted", [base, moved], 0,
               {"latency.ttft.p50": "ok"}, stdout_has=['tool.git_sha', '"0123abc-dirty"', "env.host"])

        # --json: written atomically for ok, regressed and refused; not on a bad flag.
        out = tmp / "cmp.json"
        expect("--json on a regression", [base, slow, "--json", out], 1)
        j = json.loads(out.read_text()) if out.exists() else {}
        metrics = {m["metric"]: m for c in j.get("cells", []) for m in c["metrics"]}
        check("--json holds the verdicts", j.get("verdict") == "regressed" and
              metrics.get("latency.ttft.p50", {}).get("verdict") == "regressed" and
              abs(metrics["latency.ttft.p50"]["relative_change"] - 0.2) < 1e-9 and
              metrics["latency.ttft.p50"]["n_base"] == 20 and j["thresholds"]["max_latency_regression"] == 0.1,
              json.dumps(j)[:800])
        expect("--json on refusal", [base, other, "--json", out], 2)
        check("--json says refused", json.loads(out.read_text()).get("verdict") == "refused")
        fresh = tmp / "fresh.json"
        expect("bad flag: no --json written", [base, same, "--json", fresh, "--max-latency-regression", "abc%"], 2,
               stderr_has=["--max-latency-regression"])
        check("no --json after a usage error", not fresh.exists())
        expect("--json into a missing folder", [base, same, "--json", tmp / "nope" / "c.json"], 2,
               stderr_has=["nope"])

        # Failed runs: a real error report of `gptbench run` (flash refused on the CPU).
        gptbench("run", "--model", model, "--dataset", "synthetic", "--variant", "flash", "--device", "cpu",
                 "--out", tmp / "error.json")
        error = tmp / "error.json"
        check("gptbench run wrote an error report", error.exists() and json.loads(error.read_text())["status"] == "error")
        expect("NEW run failed: exit 1 with its message", [base, error], 1, stderr_has=["the NEW run failed", "flash"])
        expect("BASE run failed: usage error", [error, base], 2, stderr_has=["the BASE run failed"])

        # Sweeps (docs/result-schema.md, "sweep"): cell by cell.
        def cell_line(variant, batch, report, status="ok"):
            r = copy.deepcopy(report)
            r["config"].update({"variant": variant, "batch_size": batch})
            return {"record": "cell", "key": f"{variant}/fp32/w-/b{batch}/p8/n4",
                    "cell": {"variant": variant, "batch_size": batch, "prompt_tokens": 8, "max_new_tokens": 4,
                             "dtype": "fp32", "window": None},
                    "status": status, "reason": None, "error": "boom" if status == "error" else None,
                    "report": r}

        def sweep(name, lines):
            path = tmp / name
            path.write_text("".join(json.dumps(l) + "\n" for l in [{"record": "sweep", "schema_version": 1}] + lines))
            return path

        slow_report = json.loads(slow.read_text())
        sweep_base = sweep("base.jsonl", [cell_line("standard", 1, shaped), cell_line("standard", 2, shaped),
                                          cell_line("sdpa", 1, shaped)])
        sweep_same = sweep("same.jsonl", [cell_line("sdpa", 1, shaped), cell_line("standard", 2, shaped),
                                          cell_line("standard", 1, shaped)])
        expect("sweep vs same sweep (other order): ok", [sweep_base, sweep_same], 0, {"latency.ttft.p50": "ok"})
        sweep_bad = sweep("bad.jsonl", [cell_line("standard", 1, shaped), cell_line("standard", 2, slow_report),
                                        cell_line("standard", 4, shaped)])
        res = expect("sweep with a regressed cell and a missing one: exit 1", [sweep_base, sweep_bad], 1,
                     {"latency.ttft.p50": "regressed"}, stderr_has=["2 failures"],
                     stdout_has=["[standard/fp32/w-/b2/p8/n4]", "[sdpa/fp32/w-/b1/p8/n4] only-in-base",
                                 "[standard/fp32/w-/b4/p8/n4] only-in-new"])
        rows = verdicts(res.stdout).get("latency.ttft.p50", [])
        check("the regressed row is the b2 cell's", rows == ["ok", "regressed"], str(rows))
        expect("sweep vs run: refused naming both", [sweep_base, base], 2,
               stderr_has=[str(sweep_base) + " is a sweep", str(base) + " is a run report"])

        # Unreadable input.
        broken = tmp / "broken.json"
        broken.write_text('{\n  "status": "ok",\n  "latency": {\n    "ttft": [1, 2,, 3]\n  }\n}\n')
        expect("invalid JSON names file and line", [base, broken], 1, stderr_has=[f"{broken}:4: invalid JSON"])
        expect("missing file", [base, tmp / "missing.json"], 1, stderr_has=["missing.json"])
        for flag, value, needle in [("--max-latency-regression", "-5%", "negative"),
                                    ("--max-latency-regression", "10", "ambiguous"),
                                    ("--max-memory-regression", "abc%", "not a number"),
                                    ("--max-quality-drop", "0.5%", "absolute"),
                                    ("--latency-metrics", "ttft,p99", "p99"),
                                    ("--quality-metrics", "rouge", "rouge"),
                                    ("--min-samples", "1", "--min-samples")]:
            expect(f"{flag} {value}: usage error", [base, same, flag, value], 2, stderr_has=[flag, needle])
        expect("one file only: usage error", [base], 2, stderr_has=["new"])

    return checks.exit_status("compare CLI")


if __name__ == "__main__":
    sys.exit(main())
