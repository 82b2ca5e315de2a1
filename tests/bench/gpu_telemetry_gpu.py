#!/usr/bin/env python3
"""NVML on a real GPU (label gpu): a `gptbench run` of a few seconds on CUDA has a report whose env
names the NVIDIA driver (a version, not "unavailable") and the power limit, and whose gpu_telemetry
block measured the timed region: energy > 0 from the total-energy counter or power samples, joules
per generated token and per sample consistent with it, mean and peak watts, SM and memory clocks,
several samples; attn-bench on CUDA reports env.nvml "ok" too. Exits 77 (ctest skip) without a GPU.

Env: GPTBENCH_BIN, GPTBENCH_DATA_DIR.
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

BIN = os.environ.get("GPTBENCH_BIN") or sys.exit("GPTBENCH_BIN is not set")
DATA = Path(os.environ.get("GPTBENCH_DATA_DIR", ""))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
from tiny_checkpoint import tiny_checkpoint  # noqa: E402
from check_log import check, finish  # noqa: E402


def main():
    import torch
    if not torch.cuda.is_available():
        print("no CUDA device: skipped")
        sys.exit(77)  # ctest SKIP_RETURN_CODE
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        tiny = tiny_checkpoint(BIN, DATA, tmp / "tiny")
        out = tmp / "r.json"
        # ~100 samples x 48 decode steps: a timed region of seconds, so the energy counter moves.
        res = subprocess.run([BIN, "run", "--model", tiny, "--device", "cuda", "--dtype", "fp16", "--variant", "sdpa",
                              "--dataset", "synthetic", "--prompt-tokens", "32", "--max-new-tokens", "48",
                              "--limit", "96", "--out", out, "--no-progress"], capture_output=True, text=True)
        check(res.returncode == 0, "run on CUDA succeeds", res.stderr[-500:])
        report = json.loads(out.read_text()) if out.exists() else {}
        env = report.get("env", {})
        driver = env.get("nvidia_driver", "")
        check(driver and driver != "unavailable" and driver[0].isdigit(), "env.nvidia_driver is a version", driver)
        check(env.get("nvml") == "ok", "env.nvml is ok", str(env.get("nvml")))
        check(isinstance(env.get("gpu_power_limit_w"), (int, float)) and env["gpu_power_limit_w"] > 0,
              "env.gpu_power_limit_w is a number", str(env.get("gpu_power_limit_w")))
        t_ = report.get("gpu_telemetry", {})
        tokens = report.get("latency", {}).get("generated_tokens", 0)
        samples = report.get("dataset", {}).get("n_samples", 0)
        energy = t_.get("energy_j") or 0
        check(t_.get("measured") is True and energy > 0, "gpu_telemetry measured energy > 0", json.dumps(t_)[:500])
        check(t_.get("energy_method") in ("nvml_total_energy_counter", "nvml_power_samples"), "energy method named",
              str(t_.get("energy_method")))
        check(tokens > 0 and abs(t_.get("j_per_token", 0) * tokens - energy) <= 1e-6 * energy
              and abs(t_.get("j_per_sample", 0) * samples - energy) <= 1e-6 * energy,
              "J/token and J/sample are the energy over tokens and samples", f"{tokens} tokens, {samples} samples")
        check((t_.get("mean_power_w") or 0) > 0 and (t_.get("peak_power_w") or 0) > 0
              and (t_.get("sm_clock_max_mhz") or 0) > 0 and (t_.get("memory_clock_max_mhz") or 0) > 0
              and t_.get("samples", 0) >= 2, "power, clocks and several samples", json.dumps(t_)[:500])
        check(isinstance(t_.get("throttled"), bool) and (t_.get("warning") is not None) == t_.get("throttled"),
              "a warning exactly when throttled", str(t_.get("throttle_reasons")))
        bench = tmp / "b.json"
        res = subprocess.run([BIN, "attn-bench", "--seq", "256", "--variants", "sdpa", "--min-runs", "5",
                              "--out", bench, "--no-progress"], capture_output=True, text=True)
        benv = json.loads(bench.read_text()).get("env", {}) if bench.exists() else {}
        check(res.returncode == 0 and benv.get("nvml") == "ok" and benv.get("nvidia_driver") == driver,
              "attn-bench on CUDA: env names the driver", res.stderr[-300:])
    finish()


if __name__ == "__main__":
    main()
