#!/usr/bin/env python3
"""`gptbench sweep` and `gptbench merge` end to end on a tiny random checkpoint (CPU):

- cells run, or are skipped with the reason (context, flash on the CPU, a window without 'sparse');
  each ok cell carries the run report of its own settings; summaries hold one row per cell
- resume: a file cut in the middle of a line is read back, only the missing cells run
  (counted), a complete file runs nothing; a file of another definition is refused
- an injected CUDA out-of-memory error in one cell is recorded, the next cell runs; --retry-failed
- shards are disjoint and merge to the single-process result; --devices cpu,cpu the same
- a dataset run: --prompt-tokens is the prompt budget
- bad input: one line, exit 2 (usage) or 1 (file), no output file
- scripts/plot_sweep.py draws its charts from the CPU JSONL

Env: GPTBENCH_BIN, GPTBENCH_DATA_DIR (the GPT-2 tokenizer), GPTBENCH_PYTHON (optional, for the plot).
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

BIN = os.environ.get("GPTBENCH_BIN") or sys.exit("GPTBENCH_BIN is not set")
DATA = Path(os.environ.get("GPTBENCH_DATA_DIR", ""))
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "tests" / "cli"))
from tiny_checkpoint import tiny_checkpoint  # noqa: E402
failures = []


def check(ok, label, detail=""):
    print(("ok   " if ok else "FAIL ") + label + (f"\n       {detail}" if detail and not ok else ""), flush=True)
    if not ok:
        failures.append(label)


def gptbench(args, env=None, code=0):
    res = subprocess.run([BIN] + [str(a) for a in args], capture_output=True, text=True,
                         env=dict(os.environ, **(env or {})))
    if res.returncode != code:
        check(False, f"exit {res.returncode} (wanted {code}): {' '.join(map(str, args))[:150]}", res.stderr[-800:])
    return res


def read(path):
    lines = Path(path).read_text().splitlines()
    return json.loads(lines[0]), [json.loads(l) for l in lines[1:]]


def statuses(cells):
    best = {}
    for c in cells:  # ok > skipped > error, the later among equals (docs/result-schema.md)
        rank = {"ok": 2, "skipped": 1, "error": 0}
        if c["key"] not in best or rank[c["status"]] >= rank[best[c["key"]]["status"]]:
            best[c["key"]] = c
    return {k: (c["index"], c["status"]) for k, c in best.items()}


def expect_usage(args, code, *needles, out=None):
    res = subprocess.run([BIN] + [str(a) for a in args], capture_output=True, text=True)
    lines = [l for l in res.stderr.splitlines() if l.strip()]
    ok = res.returncode == code and len(lines) == 1 and all(n in lines[0] for n in needles)
    ok = ok and "terminate called" not in res.stderr and (out is None or not Path(out).exists())
    check(ok, f"[exit {res.returncode}] {' '.join(map(str, args))[-90:]}", " | ".join(lines)[:400])


def main():
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model = tiny_checkpoint(BIN, DATA, tmp / "tiny")
        # tiny: 128 positions. 120 + 9 new tokens does not fit (but does for ALiBi: no position table).
        base = ["sweep", "--model", model, "--device", "cpu", "--variants", "standard,sdpa,flash,alibi",
                "--batch-sizes", "1,2", "--seq-lens", "16,120", "--new-tokens", "9", "--batches", "1",
                "--warmup", "0"]

        # 1. A whole sweep.
        full = tmp / "full.jsonl"
        res = gptbench(base + ["--out", full])
        header, cells = read(full)
        check(header["record"] == "sweep" and header["n_cells"] == 16 and header["shard"] == {"index": 0, "count": 1},
              "header: 16 cells, shard 0/1", header)
        check([c["index"] for c in cells] == list(range(16)), "one line per cell, in plan order")
        by_key = {c["key"]: c for c in cells}
        check(by_key["standard/fp32/w-/b1/p120/n9"]["status"] == "skipped"
              and "exceeds the context of 128" in by_key["standard/fp32/w-/b1/p120/n9"]["reason"],
              "prompt + new tokens > context: skipped with the reason", by_key["standard/fp32/w-/b1/p120/n9"])
        check(all(by_key[f"flash/fp32/w-/b{b}/p{p}/n9"]["status"] == "skipped" for b in (1, 2) for p in (16, 120))
              and "flash" in by_key["flash/fp32/w-/b1/p16/n9"]["reason"], "flash on the CPU: skipped",
              by_key["flash/fp32/w-/b1/p16/n9"])
        ok_cells = [c for c in cells if c["status"] == "ok"]
        check(len(ok_cells) == 8, "8 cells ran (standard and sdpa at p16, alibi at both)", len(ok_cells))
        alibi = by_key["standard+alibi/fp32/w-/b2/p120/n9"]
        r = alibi.get("report") or {}
        check(alibi["status"] == "ok" and r.get("status") == "ok" and r["config"]["batch_size"] == 2
              and r["config"]["variant"] == "standard+alibi" and r["dataset"]["prompt_tokens"] == 120
              and r["config"]["min_new_tokens"] == 9 and r["latency"]["generated_tokens"] == 2 * 9
              and r["latency"]["batches"] == 1 and len(r["latency"]["tpot"]["samples"]) == 1
              and r["attention"]["kernel"] == "standard" and alibi["device"] == "cpu",
              "an ok cell holds the run report of its own settings", json.dumps(alibi)[:600])
        check("16 cells: 8 ok, 8 skipped, 0 error" in res.stdout, "stdout counts", res.stdout)
        csv = (tmp / "full.csv").read_text().splitlines()
        md = (tmp / "full.md").read_text().splitlines()
        check(len(csv) == 17 and csv[0].startswith("index,variant,batch_size,prompt_tokens,max_new_tokens,dtype,window,"
                                                      "status,ttft_p50_ms,tpot_p50_ms,tokens_per_s,peak_allocated_mib,kernel,decode,linear,note")
              and len(md) == 18 and md[0].startswith("| index | variant |"), "summary CSV and markdown: a row per cell",
              csv[:2])
        row = next(l for l in csv if l.startswith("15,"))
        check(row.split(",")[1:8] == ["standard+alibi", "2", "120", "9", "fp32", "", "ok"]
              and float(row.split(",")[9]) > 0, "summary row of cell 15", row)

        # 2. Resume: cut inside cell 6's line; rerun runs exactly the 10 missing cells.
        part = tmp / "part.jsonl"
        lines = full.read_text().splitlines(keepends=True)
        part.write_text("".join(lines[:6]) + lines[6][:50])
        res = gptbench(base + ["--out", part])
        _, resumed = read(part)
        check(part.read_text().startswith("".join(lines[:6])), "resume keeps the finished lines as they were")
        check([c["index"] for c in resumed] == list(range(16)) and len(resumed) == 16,
              "resume: only the missing cells ran (5 kept + 11 new = 16 lines)", [c["index"] for c in resumed])
        check("incomplete" in res.stderr and "5 of 16 cells already done, 11 to run" in res.stderr,
              "resume says what it drops and what it runs", res.stderr[:500])
        check(statuses(resumed) == statuses(cells), "resumed sweep == the whole sweep (keys and statuses)")
        before = part.read_text()
        res = gptbench(base + ["--out", part])
        check(part.read_text() == before and "0 run now, 16 already done" in res.stdout, "a finished sweep runs nothing",
              res.stdout)
        res = gptbench(base + ["--warmup", "1", "--out", part], code=1)
        check(part.read_text() == before and "part.jsonl" in res.stderr and "fixed.warmup" in res.stderr
              and "--force-new" in res.stderr, "another definition is refused, the file untouched", res.stderr)
        gptbench(base + ["--warmup", "1", "--out", part, "--force-new", "--variants", "standard", "--seq-lens", "16"])
        check(read(part)[0]["n_cells"] == 2 and len(read(part)[1]) == 2, "--force-new starts the file again")

        # 3. An out-of-memory failure in one cell is recorded; the next cell runs; --retry-failed reruns it.
        oom = tmp / "oom.jsonl"
        small = ["sweep", "--model", model, "--device", "cpu", "--batch-sizes", "1,2,4", "--seq-lens", "8",
                 "--new-tokens", "4", "--batches", "1", "--warmup", "0", "--out", oom]
        res = gptbench(small, env={"GPTBENCH_SWEEP_INJECT_OOM": "1"})
        _, oc = read(oom)
        check([c["status"] for c in oc] == ["ok", "error", "ok"] and "out of memory" in oc[1]["error"]
              and "smaller --batch-size" in oc[1]["error"] and "\n" not in oc[1]["error"]
              and oc[1]["report"]["status"] == "error" and oc[1]["report"]["config"]["batch_size"] == 2,
              "an OOM cell is recorded with a one-line message and the sweep goes on", json.dumps(oc)[:700])
        check("3 cells: 2 ok, 0 skipped, 1 error" in res.stdout, "OOM counted", res.stdout)
        gptbench(small)
        check(len(read(oom)[1]) == 3, "an error cell is not rerun without --retry-failed")
        gptbench(small + ["--retry-failed"])
        _, oc = read(oom)
        check(len(oc) == 4 and oc[3]["index"] == 1 and oc[3]["status"] == "ok", "--retry-failed reruns only it",
              [c["index"] for c in oc])
        check(",ok," in (tmp / "oom.csv").read_text().splitlines()[2], "the summary shows the retried cell ok")

        # 4. Shards: disjoint, index % N, and merged they are the whole sweep.
        shards = []
        for k in range(3):
            s = tmp / f"shard{k}.jsonl"
            gptbench(base + ["--shard", f"{k}/3", "--out", s, "--no-summary"])
            h, sc = read(s)
            check(h["shard"] == {"index": k, "count": 3} and all(c["index"] % 3 == k for c in sc)
                  and len(sc) == len(range(k, 16, 3)), f"shard {k}/3 holds the cells with index % 3 == {k}")
            shards.append(s)
        merged = tmp / "merged.jsonl"
        res = gptbench(["merge", shards[2], shards[0], shards[1], shards[0], "--out", merged])
        mh, mc = read(merged)
        check([c["index"] for c in mc] == list(range(16)) and statuses(mc) == statuses(cells)
              and mh["definition_id"] == header["definition_id"] and len(mh["merged_from"]) == 4,
              "merge: deduplicated, index order, the single-process result", [c["index"] for c in mc])
        check((tmp / "merged.md").exists() and (tmp / "merged.csv").exists(), "merge writes the summaries")
        gptbench(["merge", shards[0], "--out", tmp / "half.jsonl"])
        res = gptbench(["merge", shards[0], oom, "--out", tmp / "bad_merge.jsonl"], code=1)
        check("oom.jsonl" in res.stderr and "another sweep definition" in res.stderr
              and not (tmp / "bad_merge.jsonl").exists(), "merge refuses another sweep's file", res.stderr)

        # 5. One worker process per device, merged into the output.
        par = tmp / "par.jsonl"
        dev_args = [a for a in base if a not in ("--device", "cpu")]
        res = gptbench(dev_args + ["--devices", "cpu,cpu", "--out", par])
        ph, pc = read(par)
        check(statuses(pc) == statuses(cells) and ph["definition_id"] == header["definition_id"]
              and (tmp / "par.part-0-of-2.jsonl").exists() and (tmp / "par.part-1-of-2.jsonl").exists()
              and (tmp / "par.csv").exists(), "--devices cpu,cpu: two workers, merged == single process", res.stderr[-600:])
        res = gptbench(dev_args + ["--devices", "cpu,cpu", "--out", par])
        check("16 cells: 8 ok, 8 skipped, 0 error" in res.stdout and "already done" in res.stderr,
              "--devices resumes from the parts", res.stderr[-400:])
        # A worker that fails (its part belongs to another sweep) is reported; the other worker's cells are merged.
        broken = tmp / "broken.jsonl"
        (tmp / "broken.part-1-of-2.jsonl").write_text(oom.read_text())
        res = gptbench(dev_args + ["--devices", "cpu,cpu", "--out", broken], code=1)
        _, bc = read(broken)
        check("worker 1/2 on cpu exited with status 1" in res.stderr and "broken.part-1-of-2.jsonl" in res.stderr
              and sorted(c["index"] for c in bc) == list(range(0, 16, 2)), "a failed worker is reported, the rest merged",
              res.stderr[-600:])
        res = gptbench(dev_args + ["--devices", "cpu,cpu", "--out", oom], code=1)
        check("another sweep definition" in res.stderr, "--devices refuses a foreign output", res.stderr)

        # 6. A dataset: --prompt-tokens is the prompt budget (sources cut to fit).
        data = tmp / "docs.jsonl"
        data.write_text("".join(json.dumps({"source": "word " * (30 + 7 * i), "reference": "word"}) + "\n"
                                for i in range(4)))
        ds = tmp / "ds.jsonl"
        gptbench(["sweep", "--model", model, "--device", "cpu", "--dataset", "jsonl", "--data", data, "--split", "all",
                  "--seq-lens", "24,200", "--new-tokens", "4", "--batch-sizes", "2", "--warmup", "0", "--out", ds])
        _, dc = read(ds)
        d0 = dc[0]["report"]["dataset"] if dc[0]["status"] == "ok" else {}
        check(dc[0]["status"] == "ok" and d0["prompt_tokens"]["max"] <= 24 and d0["truncated_prompts"] == 4
              and dc[0]["report"]["quality"] is not None, "dataset: every prompt cut to the 24-token budget",
              json.dumps(dc[0])[:500])
        check(dc[1]["status"] == "skipped" and "context" in dc[1]["reason"], "dataset: a budget over the context is skipped")

        # 7. Bad input: one line, the flag or file named, no output.
        out = tmp / "never.jsonl"
        sweep = ["sweep", "--model", model, "--device", "cpu", "--out", out]
        expect_usage(sweep + ["--batch-sizes", ""], 2, "--batch-sizes", "empty", out=out)
        expect_usage(sweep + ["--batch-sizes", "4-"], 2, "--batch-sizes", "4-", out=out)
        expect_usage(sweep + ["--batch-sizes", "4-64*1"], 2, "--batch-sizes", "factor", out=out)
        expect_usage(sweep + ["--seq-lens", "a,b"], 2, "--prompt-tokens", "\"a\"", out=out)
        expect_usage(sweep + ["--batch-sizes", "64-4*2"], 2, "--batch-sizes", "backwards", out=out)
        expect_usage(sweep + ["--batch-sizes", "1,2,1"], 2, "--batch-sizes", "listed twice", out=out)
        expect_usage(sweep + ["--variants", "standard,flsh"], 2, "--variants", "flsh", out=out)
        expect_usage(sweep + ["--shard", "3/2"], 2, "--shard", "3/2", out=out)
        expect_usage(sweep + ["--shard", "0/0"], 2, "--shard", "0/0", out=out)
        expect_usage(sweep + ["--shard", "1/2", "--devices", "cpu,cpu"], 2, "--devices", out=out)
        expect_usage(["sweep", "--model", model, "--out", out, "--devices", "cpu,tpu"], 2, "--devices", "tpu", out=out)
        expect_usage(["sweep", "--model", model, "--out", out, "--devices", "0,cpu"], 2, "--devices", "mixes", out=out)
        expect_usage(sweep + ["--limit", "2", "--batches", "1"], 2, "--limit", out=out)
        expect_usage(["sweep", "--device", "cpu", "--out", out], 2, "--model", out=out)
        bad_config = tmp / "bad.json"
        bad_config.write_text(json.dumps({"model": str(model), "batch_size": [1, 2]}))
        expect_usage(sweep + ["--config", bad_config], 2, "bad.json", "unknown key \"batch_size\"", out=out)
        expect_usage(sweep + ["--config", tmp / "missing.json"], 2, "missing.json", out=out)
        expect_usage(["sweep", "--model", tmp / "nope", "--out", out], 1, "nope", out=out)
        expect_usage(["merge", tmp / "nope.jsonl", "--out", out], 1, "nope.jsonl", out=out)
        (tmp / "report.json").write_text('{"schema_version": 1}\n')
        expect_usage(["merge", tmp / "report.json", "--out", out], 1, "report.json:1", "not a gptbench sweep file", out=out)
        expect_usage(["merge", "--out", out], 2, "inputs", out=out)

        # 8. The sample configs parse (the GPU one plans on any machine: its model is swapped here).
        res = gptbench(["sweep", "--config", ROOT / "configs/sweeps/tiny_cpu.json", "--model", model, "--batch-sizes", "1",
                        "--seq-lens", "16", "--out", tmp / "cfg.jsonl"])
        check("3 cells: 3 ok" in res.stdout, "configs/sweeps/tiny_cpu.json runs (flags override it)", res.stdout)
        res = gptbench(["sweep", "--config", ROOT / "configs/sweeps/sample_gpu.json", "--model", model, "--device", "cpu",
                        "--variants", "flash", "--out", tmp / "gpu_plan.jsonl"])
        check("9 cells: 0 ok, 9 skipped" in res.stdout, "configs/sweeps/sample_gpu.json plans (flash skipped on the CPU)",
              res.stdout + res.stderr[-300:])

        # 9. The charts.
        py = os.environ.get("GPTBENCH_PYTHON", sys.executable)
        plots = tmp / "plots"
        res = subprocess.run([py, ROOT / "scripts/plot_sweep.py", full, "--out", plots], capture_output=True, text=True)
        pngs = sorted(p.name for p in plots.glob("*.png")) if plots.exists() else []
        check(res.returncode == 0 and pngs == ["latency_vs_batch.png", "latency_vs_prompt.png"]
              and all((plots / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
              and "memory is measured on CUDA only" in res.stdout, "plot_sweep.py draws the latency charts",
              res.stdout + res.stderr[-500:])
        res = subprocess.run([py, ROOT / "scripts/plot_sweep.py", tmp / "nope.jsonl", "--out", plots],
                             capture_output=True, text=True)
        check(res.returncode == 1 and "nope.jsonl" in res.stderr, "plot_sweep.py: a missing file is one error line",
              res.stderr)

    if failures:
        print(f"{len(failures)} FAILED: " + "; ".join(failures))
        sys.exit(1)
    print("all sweep CLI checks passed")


if __name__ == "__main__":
    main()
