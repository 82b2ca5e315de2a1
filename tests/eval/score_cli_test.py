#!/usr/bin/env python3
"""`gptbench score` on bad flags and bad files: exit code 2 for usage errors and 1 for file
problems, nothing on stdout, and exactly one stderr line that names the flag or file:line.
Also one good run, to show that the same files minus the fault are accepted.

Usage: score_cli_test.py [--bin PATH]   (default: $GPTBENCH_BIN)
"""
import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=os.environ.get("GPTBENCH_BIN"))
    args = parser.parse_args()
    if not args.bin or not Path(args.bin).is_file():
        sys.exit(f"score_cli_test: FAIL: gptbench binary not found: {args.bin!r}")

    failures = []
    with tempfile.TemporaryDirectory(prefix="gptbench_score_cli_") as tmp:
        tmp = Path(tmp)

        def write(name, data):
            (tmp / name).write_bytes(data)
            return str(tmp / name)

        good_p = write("p.txt", b"the cat sat on the mat\na dog\n")
        good_r = write("r.txt", b"the cat sat\na dog barked\n")
        short_r = write("short.txt", b"only one\n")
        bad_json = write("bad.jsonl", b'"ok"\n{"text": \n')
        no_text = write("notext.jsonl", b'"ok"\n{"body": "x"}\n')
        latin1 = write("latin1.txt", b"ok\nS\xe3o Paulo\n")
        empty_p = write("empty_p.txt", b"")
        empty_r = write("empty_r.txt", b"")
        missing = str(tmp / "missing.txt")

        def check(name, argv, code, needles):
            proc = subprocess.run([args.bin, "score", *argv], capture_output=True)
            err = proc.stderr.decode("utf-8", "replace")
            problems = []
            if proc.returncode != code:
                problems.append(f"exit {proc.returncode}, want {code}")
            if code != 0:
                if proc.stdout:
                    problems.append(f"stdout not empty: {proc.stdout[:200]!r}")
                if err.count("\n") != 1 or not err.endswith("\n"):
                    problems.append(f"stderr is not one line: {err!r}")
            for needle in needles:
                if needle not in err + proc.stdout.decode("utf-8", "replace"):
                    problems.append(f"output lacks {needle!r}: {err!r}")
            status = "ok" if not problems else "FAIL: " + "; ".join(problems)
            print(f"{name}: {status}")
            if problems:
                failures.append(name)

        check("good run", ["--predictions", good_p, "--references", good_r], 0,
              ["rougeLsum", "BLEU = ", "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0"])
        check("missing --references", ["--predictions", good_p], 2, ["--references"])
        check("unknown flag", ["--predictions", good_p, "--references", good_r, "--bogus"], 2, ["--bogus"])
        check("--per-sample without --json",
              ["--predictions", good_p, "--references", good_r, "--per-sample"], 2, ["--per-sample"])
        check("line counts differ", ["--predictions", good_p, "--references", short_r], 1,
              [good_p, short_r, "2 texts", "has 1"])
        check("bad JSON line", ["--predictions", bad_json, "--references", good_r], 1, [f"{bad_json}:2: bad JSON"])
        check("object without text", ["--predictions", no_text, "--references", good_r], 1, [f"{no_text}:2:"])
        check("invalid UTF-8", ["--predictions", good_p, "--references", latin1], 1, [f"{latin1}:2: not valid UTF-8"])
        check("missing file", ["--predictions", missing, "--references", good_r], 1, [missing])
        check("directory", ["--predictions", str(tmp), "--references", good_r], 1, [str(tmp)])
        check("empty files", ["--predictions", empty_p, "--references", empty_r], 1, [empty_p, "no texts"])

    if failures:
        sys.exit(f"score_cli_test: FAIL: {len(failures)} case(s): {', '.join(failures)}")
    print("score_cli_test: OK")


if __name__ == "__main__":
    main()
