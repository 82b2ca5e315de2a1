#!/usr/bin/env python3
"""`--profile` on `gptbench run` and `gptbench train`, end to end on a tiny random checkpoint.

CPU (default): the trace is Chrome-trace JSON with traceEvents; the report's `profile` block is
kind "cpu-ops" and lists aten ops with positive self times whose percentages add up to 100; the
top table goes to stderr except under --quiet; nothing but the trace is left beside it; an
unwritable --profile fails (exit 2) with one line naming the flag before any model is read (the model path
given does not exist); --profile-steps and --task perplexity are checked.
--gpu: the flash variant on CUDA, with the decode steps replayed from a CUDA graph, and a flash
training run: kind "cuda-kernels", and our flash kernels are among the top kernels.

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
sys.path.insert(0, str(Path(__file__).resolve().parent))
from tiny_checkpoint import tiny_checkpoint  # noqa: E402
from check_log import check, finish  # noqa: E402


def gptbench(args):
    res = subprocess.run([BIN] + [str(a) for a in args], capture_output=True, text=True)
    return res


def expect_error(args, code, *needles, label):
    res = gptbench(args)
    lines = [l for l in res.stderr.splitlines() if l.strip()]
    ok = res.returncode == code and len(lines) == 1 and all(n in lines[0] for n in needles)
    ok = ok and not any(w in res.stderr for w in ("terminate called", "Segmentation", "Exception raised from"))
    check(ok, label, f"exit {res.returncode}: " + (lines[-1] if lines else "<no stderr>"))


def load_json(path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}


def check_trace(trace, label):
    events = load_json(trace).get("traceEvents")
    check(isinstance(events, list) and len(events) > 0, f"{label}: trace is JSON with traceEvents",
          f"{len(events) if isinstance(events, list) else 'no'} events")
    leftovers = [p.name for p in Path(trace).parent.iterdir() if p.name.startswith("." + Path(trace).name)]
    check(not leftovers, f"{label}: no temp file left beside the trace", ", ".join(leftovers))
    return events or []


def check_block(profile, kind, trace, label):
    """The profile block's shape and arithmetic: rows with positive times, sane percentages."""
    top = profile.get("top") or []
    totals = profile.get("totals") or {}
    check(profile.get("kind") == kind and profile.get("trace") == str(trace), f"{label}: kind {kind}, trace named",
          f"{profile.get('kind')}, {profile.get('trace')}")
    rows_ok = len(top) > 0 and all(r["calls"] >= 1 and r["total_us"] > 0 and 0 < r["percent"] <= 100 and
                                   abs(r["mean_us"] * r["calls"] - r["total_us"]) <= 1e-6 * r["total_us"] + 1e-9
                                   for r in top)
    check(rows_ok, f"{label}: rows have calls, positive times and percentages in (0, 100]",
          json.dumps(top[:2])[:300])
    ordered = all(a["total_us"] >= b["total_us"] for a, b in zip(top, top[1:]))
    share = sum(r["percent"] for r in top)
    check(ordered and share <= 100 + 1e-6 and len(top) <= 25, f"{label}: sorted, at most 25 rows, share <= 100 %",
          f"{len(top)} rows, {share:.2f} %")
    covered = sum(r["total_us"] for r in top)
    check(totals.get("calls", 0) >= sum(r["calls"] for r in top) and totals.get("total_us", 0) >= covered * (1 - 1e-9)
          and totals.get("wall_us", 0) > 0 and totals.get("distinct", 0) >= len(top),
          f"{label}: totals cover the rows", json.dumps(totals))
    if len(top) < 25:  # every name is listed: the shares add up to 100 %
        check(abs(share - 100) < 1e-6, f"{label}: all rows listed, shares add up to 100 %", f"{share:.6f}")
    return top


def cpu_checks(tmp, tiny):
    run = ["run", "--model", tiny, "--dataset", "synthetic", "--prompt-tokens", 16, "--max-new-tokens", 4,
           "--batch-size", 2, "--limit", 4, "--device", "cpu", "--data-dir", DATA]
    trace, report = tmp / "run_trace.json", tmp / "run_report.json"
    res = gptbench(run + ["--profile", trace, "--out", report])
    check(res.returncode == 0, "run --profile on the CPU succeeds", res.stderr.strip()[-500:])
    check("[profile] cpu-ops:" in res.stderr, "run: the top table goes to stderr", res.stderr.strip()[-300:])
    check_trace(trace, "run")
    r = load_json(report)
    top = check_block(r.get("profile") or {}, "cpu-ops", trace, "run")
    names = [row["name"] for row in top]
    check(any(n.startswith("aten::") for n in names), "run: the rows are aten ops", ", ".join(names[:5]))
    # One thread runs the ops, so their self times fit in the region's wall time.
    totals = (r.get("profile") or {}).get("totals", {})
    check(0 < totals.get("total_us", 0) <= totals.get("wall_us", 0), "run: op self time within the wall time",
          json.dumps(totals))
    check(r.get("config", {}).get("profile") == str(trace), "run: config records --profile")
    # Every report names what ran the projections; on the CPU that is always ATen.
    check(r.get("linear") == {"kernel": "aten", "prefill": "aten", "decode": "aten"},
          "run: the report's linear block says aten on the CPU", json.dumps(r.get("linear")))
    check(r.get("config", {}).get("linear") == "auto", "run: config records --linear")
    check(r.get("memory", {}).get("resident_at_start_bytes") == 0, "run: memory.resident_at_start_bytes is 0 on the CPU",
          json.dumps(r.get("memory")))
    check(r.get("decode", {}).get("kv_cache") == "dense", "run: decode.kv_cache names the dense cache",
          json.dumps(r.get("decode")))
    # A sliding window decoded eagerly keeps the rolling cache of G + W slots, and its bytes say so.
    sparse_report = tmp / "sparse_report.json"
    res = gptbench(run + ["--variant", "sparse", "--window", 8, "--global-tokens", 2, "--out", sparse_report])
    s = load_json(sparse_report) if res.returncode == 0 else {}
    cfg = json.loads((tiny / "config.json").read_text())
    slots_bytes = 2 * cfg["n_layer"] * 2 * cfg["n_head"] * (8 + 2) * (cfg["n_embd"] // cfg["n_head"]) * 4
    check(s.get("decode", {}).get("kv_cache") == "rolling" and s.get("memory", {}).get("kv_cache_bytes") == slots_bytes,
          "run sparse: decode.kv_cache rolling, kv_cache_bytes of G + W slots",
          f"{json.dumps(s.get('decode'))} {s.get('memory', {}).get('kv_cache_bytes')} vs {slots_bytes}")

    quiet = gptbench(run + ["--profile", tmp / "quiet_trace.json", "--quiet"])
    check(quiet.returncode == 0 and "[profile]" not in quiet.stderr, "run --quiet prints no table", quiet.stderr[-300:])
    plain = gptbench(run + ["--out", tmp / "plain.json", "--quiet"])
    check(plain.returncode == 0 and "profile" in load_json(tmp / "plain.json")
          and load_json(tmp / "plain.json")["profile"] is None, "run without --profile: profile is null")

    # Bad input: checked before anything is read (the model folder does not even exist).
    missing = tmp / "no" / "such" / "trace.json"
    expect_error(["run", "--model", tmp / "nope", "--device", "cpu", "--profile", missing], 2, "--profile",
                 str(missing), label="run: unwritable --profile fails first, naming the flag")
    expect_error(run + ["--profile", tmp], 2, "--profile", "folder", label="run: --profile naming a folder")
    expect_error(run + ["--task", "perplexity", "--profile", trace], 2, "--profile", "summarization",
                 label="run: --profile needs --task summarization")

    text = tmp / "tiny.txt"
    text.write_text("The quick brown fox jumps over the lazy dog while the cat sleeps in the sun. " * 40)
    train = ["train", "--model", tiny, "--dataset", "text", "--data-path", text, "--seq-len", 32, "--batch-size", 2,
             "--steps", 6, "--warmup-steps", 1, "--eval-samples", 2, "--device", "cpu", "--data-dir", DATA]
    trace = tmp / "train_trace.json"
    res = gptbench(train + ["--timing-skip", 2, "--profile-steps", 2, "--profile", trace, "--out", tmp / "t1"])
    check(res.returncode == 0, "train --profile on the CPU succeeds", res.stderr.strip()[-500:])
    check("[profile] cpu-ops:" in res.stderr, "train: the top table goes to stderr")
    check_trace(trace, "train")
    r = load_json(tmp / "t1" / "train_report.json")
    profile = r.get("profile") or {}
    top = check_block(profile, "cpu-ops", trace, "train")
    names = [row["name"] for row in top]
    check(any(n.startswith("aten::") for n in names), "train: the rows are aten ops", ", ".join(names[:5]))
    check(profile.get("steps") == {"first": 3, "last": 4}, "train: steps 3..4 profiled (after 2 skipped)",
          json.dumps(profile.get("steps")))
    check(r.get("config", {}).get("profile_steps") == 2, "train: config records --profile-steps")

    expect_error(train + ["--profile", missing, "--out", tmp / "t2"], 2, "--profile", str(missing),
                 label="train: unwritable --profile fails naming the flag")
    expect_error(train + ["--profile", trace, "--profile-steps", 0, "--out", tmp / "t3"], 2, "--profile-steps",
                 label="train: --profile-steps 0")
    expect_error(train + ["--profile", trace, "--timing-skip", 6, "--out", tmp / "t4"], 2, "--profile", "--timing-skip",
                 label="train: no step left to profile")


def gpu_checks(tmp, tiny):
    # Our flash kernels take head dim 64 or 128: the tiny shape with 2 heads of 64.
    tiny = tiny_checkpoint(BIN, DATA, tmp / "tiny_d64", {"n_head": 2, "n_embd": 128})
    trace, report = tmp / "gpu_run_trace.json", tmp / "gpu_run.json"
    res = gptbench(["run", "--model", tiny, "--variant", "flash", "--dtype", "fp16", "--device", "cuda",
                    "--dataset", "synthetic", "--prompt-tokens", 64, "--max-new-tokens", 16, "--batch-size", 2,
                    "--limit", 4, "--decode", "graph", "--profile", trace, "--out", report])
    check(res.returncode == 0, "gpu run --profile (flash, graph decode) succeeds", res.stderr.strip()[-800:])
    r = load_json(report)
    check(r.get("decode", {}).get("mode") == "cuda_graph", "gpu run: decode replayed from CUDA graphs",
          json.dumps(r.get("decode")))
    events = check_trace(trace, "gpu run")
    kernels = [e.get("name", "") for e in events if e.get("cat") == "kernel"]
    check(any("flash_decode" in k for k in kernels), "gpu run: the trace has our flash decode kernels",
          f"{len(kernels)} kernel events")
    top = check_block(r.get("profile") or {}, "cuda-kernels", trace, "gpu run")
    check(any("flash" in row["name"] for row in top), "gpu run: a flash kernel is among the top kernels",
          "; ".join(row["name"][:60] for row in top[:5]))

    trace = tmp / "gpu_train_trace.json"
    res = gptbench(["train", "--model", tiny, "--dataset", "text", "--data-path", tmp / "text.txt", "--seq-len", 96,
                    "--batch-size", 4, "--steps", 6, "--warmup-steps", 1, "--eval-samples", 2, "--device", "cuda",
                    "--precision", "bf16", "--variant", "flash", "--allow-variant-change", "--data-dir", DATA,
                    "--profile", trace, "--out", tmp / "gpu_train"])
    check(res.returncode == 0, "gpu train --profile (flash, bf16) succeeds", res.stderr.strip()[-800:])
    check_trace(trace, "gpu train")
    top = check_block(load_json(tmp / "gpu_train" / "train_report.json").get("profile") or {}, "cuda-kernels", trace,
                      "gpu train")
    check(any("flash_prefill" in row["name"] for row in top), "gpu train: our flash forward kernel is among the top",
          "; ".join(row["name"][:60] for row in top[:5]))


def main():
    gpu = "--gpu" in sys.argv
    if gpu:
        import torch
        if not torch.cuda.is_available():
            print("SKIP: no CUDA device on this machine: the --gpu checks need one")
            sys.exit(77)  # ctest SKIP_RETURN_CODE
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "text.txt").write_text("The council met on the river budget while the market closed early. " * 200)
        tiny = tiny_checkpoint(BIN, DATA, tmp / "tiny")
        (gpu_checks if gpu else cpu_checks)(tmp, tiny)
    finish()


if __name__ == "__main__":
    main()
