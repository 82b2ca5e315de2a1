"""Helpers shared by the transformers-oracle scripts in tests/model: pass/fail bookkeeping,
running the gptbench binary, and the tokenizer files from GPTBENCH_DATA_DIR."""
import os
import subprocess
import sys
from pathlib import Path

failures = []
ENV = dict(os.environ)  # the environment of every gptbench subprocess (scripts may adjust it)


def check(cond, msg):
    print(("ok   " if cond else "FAIL ") + msg, flush=True)
    if not cond:
        failures.append(msg)


def run(args):
    """Runs a command (the gptbench binary) and returns its stdout; exits the script on failure."""
    res = subprocess.run([str(a) for a in args], capture_output=True, text=True, env=ENV)
    if res.returncode != 0:
        sys.exit(f"command failed ({res.returncode}): {' '.join(map(str, args))}\n{res.stderr}")
    return res.stdout


def tokenizer_dir():
    data = os.environ.get("GPTBENCH_DATA_DIR", "")
    d = Path(data) / "gpt2_tokenizer"
    if not (d / "vocab.json").exists():
        sys.exit(f"tokenizer files not found under GPTBENCH_DATA_DIR={data!r} (need gpt2_tokenizer/vocab.json)")
    return d


def copy_tokenizer(dst):
    src = tokenizer_dir()
    for name in ("vocab.json", "merges.txt"):
        (Path(dst) / name).write_bytes((src / name).read_bytes())
