#!/usr/bin/env python3
"""scripts/ci/gpu_regression.sh on the CPU: the same pipeline as on the GPU runner (init, one
`gptbench run` per cell of a config, `gptbench compare` with the baseline of the device present),
with configs/ci/cpu_smoke.json, the binary under test and a baseline folder of its own. Baselines
live per device model (BASELINE_DIR/<gpu slug>/, here BASELINE_DIR/cpu/). Checks that it fails
without a baseline for this device (also when another GPU model has one), writes one with
--refresh-baseline (and none when a cell fails), passes against it, and fails on a regression, a
config change or a baseline report of another GPU model. Env: GPTBENCH_BIN.
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from checklist import Checklist  # Checklist (beside this file)

BIN = os.environ.get("GPTBENCH_BIN") or sys.exit("GPTBENCH_BIN is not set")
ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "ci" / "gpu_regression.sh"
CONFIG = ROOT / "configs" / "ci" / "cpu_smoke.json"
CELLS = ["standard-b1", "sdpa-b2"]
checks = Checklist()
check = checks.check


def main():
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        baseline, out = tmp / "baseline", tmp / "out"
        here = baseline / "cpu"  # the CPU's baseline folder (the reports' env.device is "cpu", no env.gpu)
        env = dict(os.environ, OUT=str(out), GPTBENCH_CI_WORK=str(tmp / "work"))

        def script(*args, config=CONFIG):
            res = subprocess.run(["bash", SCRIPT, "--config", config, "--bin", BIN, "--no-gpu-tests",
                                  "--baseline-dir", baseline, *map(str, args)], capture_output=True, text=True, env=env)
            return res, res.stdout + res.stderr

        def expect(label, res_text, code, *needles):
            res, text = res_text
            missing = [n for n in needles if n not in text]
            check(label, res.returncode == code and not missing,
                  f"exit {res.returncode} (want {code}), missing {missing}\n{text[-2500:]}")

        expect("no baseline: fails and says how to make one", script(), 1, "device: cpu",
               "no baseline for cpu; run with --refresh", "standard-b1: no baseline", "sdpa-b2: no baseline")
        # Another GPU model's baseline does not stand in for this device's.
        (baseline / "nvidia-h100-80gb-hbm3").mkdir(parents=True)
        expect("only another GPU model has a baseline: no baseline for this one", script(), 1,
               "no baseline for cpu; run with --refresh", "baselines exist for: nvidia-h100-80gb-hbm3")
        reports = [json.loads((out / "reports" / f"{c}.json").read_text()) for c in CELLS]
        check("the cells ran anyway, their reports are kept", [r["status"] for r in reports] == ["ok", "ok"] and
              reports[1]["config"]["variant"] == "sdpa" and reports[1]["config"]["batch_size"] == 2 and
              reports[1]["latency"]["ttft"]["n"] == 6)

        expect("--refresh-baseline writes the baseline", script("--refresh-baseline"), 0, "new baseline for cpu", "review")
        check("one baseline report per cell in the device's folder, copies under $OUT/baseline",
              all((here / f"{c}.json").read_text() == (out / "baseline" / "cpu" / f"{c}.json").read_text() for c in CELLS) and
              not any((baseline / "nvidia-h100-80gb-hbm3").iterdir()))
        # Timings of a tiny model on a shared CPU are noise: the passing run gets a loose latency threshold.
        expect("against its own baseline: passes", script("--", "--max-latency-regression", "1000%"), 0,
               "standard-b1: ok", "sdpa-b2: ok", "passed")
        cmp = json.loads((out / "compare" / "standard-b1.json").read_text())
        check("the comparison is kept as JSON", cmp["verdict"] == "ok" and len(cmp["cells"][0]["metrics"]) == 3)

        # A baseline 100x faster: a regression. --min-samples above the 6 samples makes the verdict the
        # threshold's alone, so CPU noise cannot make it "noisy".
        doctored = json.loads((here / "sdpa-b2.json").read_text())
        for name in ("ttft", "tpot", "e2e"):
            lat = doctored["latency"][name]
            lat["p50"] /= 100
            lat["samples"] = [s / 100 for s in lat["samples"]]
        (here / "sdpa-b2.json").write_text(json.dumps(doctored))
        expect("a regressed cell fails the script", script("--", "--min-samples", "100"), 1,
               "sdpa-b2: REGRESSED", "latency.ttft.p50 (ms) regressed", "FAILED")
        check("the regression is in the comparison JSON",
              json.loads((out / "compare" / "sdpa-b2.json").read_text())["verdict"] == "regressed")

        doctored["config"]["warmup"] = 3
        (here / "sdpa-b2.json").write_text(json.dumps(doctored))
        expect("a baseline of another config fails the script", script(), 1, "sdpa-b2: NOT COMPARED",
               "config.warmup: 3 vs 1")

        # A report of another GPU model put in this device's folder: gptbench compare refuses it.
        doctored["config"]["warmup"] = 1
        doctored["env"].update({"device": "cuda:0", "gpu": "NVIDIA H100 80GB HBM3"})
        (here / "sdpa-b2.json").write_text(json.dumps(doctored))
        expect("a baseline report of another GPU model fails the script", script(), 1, "sdpa-b2: NOT COMPARED",
               "measured on NVIDIA H100 80GB HBM3 but NEW", "--allow-device-diff")

        # A cell that cannot run (our CUDA kernel on the CPU): no baseline is written from a failed run.
        config = json.loads(CONFIG.read_text())
        config["_cells"].append({"name": "flash-b1", "variant": "flash", "batch-size": 1, "limit": 2})
        broken = tmp / "with_flash.json"
        broken.write_text(json.dumps(config))
        baseline_before = (here / "standard-b1.json").read_text()
        expect("--refresh-baseline with a failed cell writes nothing", script("--refresh-baseline", config=broken), 1,
               "run flash-b1", "no baseline written")
        check("the old baseline is untouched", (here / "standard-b1.json").read_text() == baseline_before and
              not (here / "flash-b1.json").exists())

        expect("missing --config: usage error", script(config=tmp / "nope.json"), 2, "nope.json")
        bad = tmp / "bad.json"
        bad.write_text('{"dtype": "fp32"}')
        expect("config without _cells: usage error", script(config=bad), 2, "_model")
        expect("unknown argument: usage error", script("--frobnicate"), 2, "--frobnicate")

    return checks.exit_status("gpu_regression.sh")


if __name__ == "__main__":
    sys.exit(main())
