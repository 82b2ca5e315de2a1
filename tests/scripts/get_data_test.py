#!/usr/bin/env python3
"""scripts/get_data.sh offline: its verification path against the shared data folder (every file's
SHA-256 as data/checksums.tsv lists it, .xz copies decompressed), a corrupted and a missing file, its
download path for news_summary from a server on 127.0.0.1 (a zip of the CRLF variant that Kaggle
serves: unpacked, normalised, verified, installed; a wrong file: refused, nothing left), and its
refusals without network (an unreachable URL, an unreachable hub) and on bad usage.
Env: GPTBENCH_DATA_DIR (the shared data; the test needs it).
"""
import functools
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "compare"))
from checklist import Checklist  # noqa: E402  (tests/compare/checklist.py)

SCRIPT = ROOT / "scripts" / "get_data.sh"
DATA = Path(os.environ.get("GPTBENCH_DATA_DIR") or ROOT.parent / "shared" / "data")
checks = Checklist()
check = checks.check


def get_data(*args, env=None):
    res = subprocess.run(["bash", SCRIPT, *map(str, args)], capture_output=True, text=True,
                         env=dict(os.environ, **(env or {})))
    return res, res.stdout + res.stderr


def checksum_rows():
    rows = []
    for line in (ROOT / "data" / "checksums.tsv").read_text().splitlines():
        if line and not line.startswith("#"):
            rows.append(line.split("\t"))
    return rows


def serve(folder):
    """A local HTTP server for `folder` on 127.0.0.1 (an ephemeral port); returns (server, base URL)."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def main():
    if not (DATA / "news_summary" / "news_summary.csv").exists():
        print(f"the shared data folder {DATA} is missing: set GPTBENCH_DATA_DIR")
        return 1
    res, text = get_data("--verify-only", "--data-dir", DATA)
    listed = [f for f, _, _ in checksum_rows()]
    check("the shared data verifies: exit 0, every listed file ok",
          res.returncode == 0 and
          # the script prints the folder with ".." folded but links kept: either spelling of it
          all(any(f"ok      {d}/{f}" in text for d in (DATA.resolve(), os.path.abspath(DATA))) for f in listed) and
          "GPTBENCH_DATA_DIR" in text, text[-2000:])
    check("each checksum row names a file, a SHA-256 and a dataset",
          all(len(r) == 3 and len(r[1]) == 64 and r[2] in ("news_summary", "wikitext2", "gpt2_tokenizer",
                                                         "cnn_dailymail", "-") for r in checksum_rows()))

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        copy = tmp / "data"
        shutil.copytree(DATA / "wikitext2_raw", copy / "wikitext2_raw")
        raw = copy / "wikitext2_raw" / "wiki.test.raw"
        raw.chmod(0o644)
        raw.write_bytes(raw.read_bytes().replace(b"Robert Boulter", b"Robert Boulder", 1))
        res, text = get_data("--verify-only", "--data-dir", copy, "--only", "wikitext2")
        check("a changed byte: exit 1, BAD with both checksums", res.returncode == 1 and
              f"BAD     {copy}/wikitext2_raw/wiki.test.raw: SHA-256" in text and "expected 173c87a5" in text, text)
        res, text = get_data("--verify-only", "--data-dir", copy, "--only", "news_summary")
        check("a missing file: exit 1, MISSING with the command that fetches it", res.returncode == 1 and
              f"MISSING {copy}/news_summary/news_summary.csv: fetch it with scripts/get_data.sh --only news_summary" in text,
              text)

        # The download path, from a local server: Kaggle's CRLF variant in a zip.
        site = tmp / "site"
        site.mkdir()
        crlf = (DATA / "news_summary" / "news_summary.csv").read_bytes().replace(b"\n", b"\r\n")
        with zipfile.ZipFile(site / "news-summary.zip", "w") as z:
            z.writestr("news_summary.csv", crlf)
        (site / "wrong.csv").write_bytes(b"author,date,headlines,read_more,text,ctext\n")
        server, url = serve(site)
        try:
            fresh = tmp / "fresh"
            res, text = get_data("--data-dir", fresh, "--only", "news_summary", "--news-url", f"{url}/news-summary.zip")
            installed = fresh / "news_summary" / "news_summary.csv"
            check("--news-url with a zip of the CRLF file: installed and verified", res.returncode == 0 and
                  installed.exists() and "all verified" in text and f"ok      {fresh}/news_summary/news_summary.csv" in text,
                  text)
            check("the installed bytes are the verified LF file",
                  installed.exists() and installed.read_bytes() == (DATA / "news_summary" / "news_summary.csv").read_bytes())
            res, text = get_data("--data-dir", fresh, "--only", "news_summary", "--news-url", f"{url}/nothing-here.zip")
            check("already verified: not downloaded again", res.returncode == 0 and "already there and verified" in text,
                  text)
            other = tmp / "other"
            res, text = get_data("--data-dir", other, "--only", "news_summary", "--news-url", f"{url}/wrong.csv")
            check("a download with another SHA-256: refused, not installed", res.returncode == 1 and
                  "news_summary/news_summary.csv: downloaded, but its SHA-256 is" in text and
                  not (other / "news_summary").exists(), text)
            check("no temporary files left behind", [p.name for p in other.iterdir()] == [], list(other.iterdir()))
        finally:
            server.shutdown()

        res, text = get_data("--data-dir", tmp / "x", "--only", "news_summary", "--news-url", "http://127.0.0.1:9/n.zip")
        check("an unreachable URL: exit 1, one clear line", res.returncode == 1 and
              "cannot download http://127.0.0.1:9/n.zip (no network, or a wrong URL)" in text, text)
        res, text = get_data("--data-dir", tmp / "y", "--only", "gpt2_tokenizer", env={"HF_ENDPOINT": "http://127.0.0.1:9"})
        check("no network to the hub: refused, says what to do", res.returncode == 1 and
              "no network: cannot reach http://127.0.0.1:9" in text and "--verify-only" in text, text)

        res, text = get_data("--only", "imagenet")
        check("an unknown dataset: usage error", res.returncode == 2 and 'unknown dataset "imagenet"' in text, text)
        res, text = get_data("--frobnicate")
        check("an unknown argument: usage error", res.returncode == 2 and "--frobnicate" in text, text)
        res, text = get_data("--verify-only", "--data-dir", tmp / "nope")
        check("--verify-only of a missing folder: exit 1 naming it", res.returncode == 1 and "nope: no such folder" in text,
              text)

    return checks.exit_status("get_data.sh")

if __name__ == "__main__":
    sys.exit(main())
