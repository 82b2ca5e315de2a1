"""A list of named checks for the compare test scripts: each prints ok/FAIL as it runs, and the
script's exit status says whether any failed."""


class Checklist:
    def __init__(self):
        self.failures = []

    def check(self, label, ok, detail=""):
        print(("ok   " if ok else "FAIL ") + label + ("" if ok else f"\n       {detail}"), flush=True)
        if not ok:
            self.failures.append(label)

    def exit_status(self, what):
        """1 (and the failed labels) when any check failed, else 0."""
        if self.failures:
            print(f"{len(self.failures)} FAILED: " + "; ".join(self.failures))
            return 1
        print(f"all {what} checks passed")
        return 0
