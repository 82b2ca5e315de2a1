"""The pass/fail log the command-line test scripts share: check() prints one line per assertion
("ok" or "FAIL", the label, an optional detail) and remembers the failures; finish() prints how
many failed and exits 1 when any did, else 0."""
import sys

failures = []


def check(ok, label, detail=""):
    print(("ok   " if ok else "FAIL ") + label + (f"  ({detail})" if detail else ""), flush=True)
    if not ok:
        failures.append(label)


def finish():
    print(f"{len(failures)} failure(s)" + (": " + "; ".join(failures) if failures else ""))
    sys.exit(1 if failures else 0)
