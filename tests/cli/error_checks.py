"""What the bad-input scripts (bad_input.py, hostile_input.py) share: the binary and the data folder
from the environment (GPTBENCH_BIN, GPTBENCH_DATA_DIR), the list of failed checks, and `expect`,
which runs gptbench and passes when it fails with one error line, the right exit code, no crash and
no hang."""
import os
import subprocess
import sys
from pathlib import Path

BIN = os.environ.get("GPTBENCH_BIN") or sys.exit("GPTBENCH_BIN is not set")
DATA = Path(os.environ.get("GPTBENCH_DATA_DIR", ""))
TIMEOUT_S = 60  # a FIFO that is opened for reading would block forever: a hang is a failure
CRASH_SIGNS = ("terminate called", "Segmentation", "Aborted", "Exception raised from", "std::bad_alloc",
               "json.exception")
failures = []


def record(ok, tag, detail):
    print(("ok   " if ok else "FAIL ") + f"{tag}\n       {detail}", flush=True)
    if not ok:
        failures.append(tag)


def check(ok, tag, detail=""):
    record(bool(ok), tag, detail)


def expect(args, code, *needles, label=None):
    """Runs gptbench; passes when it exits `code` with one error line, the last, holding every needle."""
    tag = label or " ".join(map(str, args))[:110]
    argv = [BIN] + [a if isinstance(a, bytes) else str(a) for a in args]
    try:
        res = subprocess.run(argv, capture_output=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        record(False, tag, f"hung (no exit within {TIMEOUT_S} s)")
        return
    err = res.stderr.decode("utf-8", "replace").strip()
    lines = [l for l in err.splitlines() if l.strip()]
    last = lines[-1] if lines else ""
    ok = res.returncode == code and all(n in last for n in needles)
    ok = ok and not any(sign in err for sign in CRASH_SIGNS)
    ok = ok and sum(1 for l in lines if l.startswith("gptbench: ") and "error" in l) == 1
    record(ok, f"[exit {res.returncode}] {tag}", last or "<no stderr>")


def finish(what):
    """The exit code of a script: 1 when a check failed."""
    print(f"{len(failures)} failed" if failures else f"all {what} checks passed")
    return 1 if failures else 0
