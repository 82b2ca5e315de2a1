#!/usr/bin/env python3
"""`cmake --install BUILD --prefix DIR` gives a binary that runs from anywhere: DIR/bin/gptbench
answers --version from another working folder with LD_LIBRARY_PATH unset, and its RUNPATH names
LibTorch's library folder (the README's Install section says so).

Args: the build folder. Env: GPTBENCH_BIN (the built binary, for the expected version line).
"""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_log import check, finish  # noqa: E402

BIN = os.environ.get("GPTBENCH_BIN") or sys.exit("GPTBENCH_BIN is not set")


def main():
    build = Path(sys.argv[1])
    with tempfile.TemporaryDirectory() as t:
        prefix = Path(t) / "prefix"
        res = subprocess.run(["cmake", "--install", str(build), "--prefix", str(prefix)], capture_output=True, text=True)
        installed = prefix / "bin" / "gptbench"
        check(res.returncode == 0 and installed.is_file(), "cmake --install puts bin/gptbench under the prefix",
              (res.stdout + res.stderr)[-400:])
        env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
        want = subprocess.run([BIN, "--version"], capture_output=True, text=True).stdout.strip()
        got = subprocess.run([str(installed), "--version"], capture_output=True, text=True, env=env, cwd=t)
        check(got.returncode == 0 and got.stdout.strip() == want and want,
              "the installed binary runs from another folder without LD_LIBRARY_PATH", got.stderr.strip()[-300:])
        dyn = subprocess.run(["readelf", "-d", str(installed)], capture_output=True, text=True).stdout
        runpath = next((l for l in dyn.splitlines() if "RUNPATH" in l or "RPATH" in l), "")
        check("torch" in runpath and "$ORIGIN/../lib" in runpath, "RUNPATH names LibTorch's lib and $ORIGIN/../lib",
              runpath.strip()[:300])
    finish()


if __name__ == "__main__":
    main()
