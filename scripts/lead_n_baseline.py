#!/usr/bin/env python3
"""Lead-N baseline for the summarization benchmark: the first N tokens of each article.

Selects samples exactly as `gptbench run --dataset D --split S --limit L` does, by running the
C++ dataset_dump tool (tests/data/dataset_dump: load_dataset + build_prompt, the same code as
run). With --template "{source}" --max-new-tokens 0 --context N, build_prompt keeps the first N
source tokens; they are decoded (GPT-2 byte-level BPE, vocab.json) and written as predictions,
the references beside them. Score with: gptbench score --predictions P --references R --json

usage: lead_n_baseline.py --dump BUILD/tests/data/dataset_dump --tokenizer DIR --tokens 64
                          [--dataset news_summary] [--data-dir DIR] [--split test] [--limit N]
                          --predictions P.jsonl --references R.jsonl
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path


def byte_decoder():
    # GPT-2's bytes_to_unicode table, inverted: printable characters stand for raw bytes.
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dump", required=True)
    p.add_argument("--tokenizer", required=True)
    p.add_argument("--tokens", type=int, default=64)
    p.add_argument("--dataset", default="news_summary")
    p.add_argument("--data-dir")
    p.add_argument("--split", default="test")
    p.add_argument("--limit", type=int)
    p.add_argument("--predictions", required=True)
    p.add_argument("--references", required=True)
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "dump.jsonl"
        cmd = [a.dump, "--dataset", a.dataset, "--split", a.split, "--tokenizer", a.tokenizer, "--template", "{source}",
               "--context", str(a.tokens), "--max-new-tokens", "0", "--out", str(out)]
        if a.data_dir:
            cmd += ["--data-dir", a.data_dir]
        if a.limit:
            cmd += ["--limit", str(a.limit)]
        subprocess.run(cmd, check=True)
        rows = [json.loads(line) for line in out.read_text().splitlines()][1:]
    vocab = json.loads((Path(a.tokenizer) / "vocab.json").read_text())
    id_to_token = {i: t for t, i in vocab.items()}
    decoder = byte_decoder()
    with open(a.predictions, "w") as fp, open(a.references, "w") as fr:
        for r in rows:
            data = bytes(decoder[ch] for i in r["prompt_ids"] for ch in id_to_token[i])
            fp.write(json.dumps(data.decode("utf-8", errors="replace")) + "\n")
            fr.write(json.dumps(r["reference"]) + "\n")
    print(f"lead-{a.tokens}: {len(rows)} predictions -> {a.predictions}", file=sys.stderr)


if __name__ == "__main__":
    main()
