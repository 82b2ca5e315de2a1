#!/usr/bin/env python3
"""Oracle for gptbench's dataset readers, splits and prompt building (src/data).

The C++ tool dataset_dump writes what load_dataset selected (and build_prompt's ids) as JSONL.
This script reads the same files independently -- news_summary.csv with Python's csv module and
the documented decoding rule re-implemented with a codecs error handler, the cnn_dailymail JSONL
with lzma + json -- applies the rules of docs/datasets.md (trimming, skipping, content ids,
deduplication, the seeded split hash, the per-split-file rule, --limit) and compares the id, line,
source and reference of every selected sample, for every split. Row counts are checked against
pandas and PROVENANCE.md. Prompt ids are checked against tiktoken (enc(prefix) + enc(source)[:k]
+ enc(suffix)).

usage: dataset_oracle.py --dump PATH/dataset_dump --workdir DIR
Needs GPTBENCH_DATA_DIR (the shared data folder). Exit status 1 on any mismatch.
"""

import argparse
import codecs
import csv
import io
import json
import lzma
import os
import pathlib
import subprocess
import sys

import pandas as pd

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import tokenizer_oracle  # noqa: E402  (build_oracle: tiktoken from the shared GPT-2 files)

MASK64 = (1 << 64) - 1
# Unicode White_Space, the characters trimmed from both ends of every source and reference.
WHITE_SPACE = "".join(map(chr, [*range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
                                0x2028, 0x2029, 0x202F, 0x205F, 0x3000]))
CP1252_UNDEFINED = {0x81, 0x8D, 0x8F, 0x90, 0x9D}  # WHATWG keeps these as the C1 controls
SPLITS = ["train", "validation", "test"]
failures = []


def fail(message):
    print(f"dataset_oracle: FAIL: {message}", flush=True)
    failures.append(message)


def data_dir():
    d = os.environ.get("GPTBENCH_DATA_DIR")
    if not d or not pathlib.Path(d).is_dir():
        print(f"dataset_oracle: FAIL: GPTBENCH_DATA_DIR is not set or not a folder ({d!r})", flush=True)
        sys.exit(1)
    return pathlib.Path(d)


# --- the documented rules, written again from docs/datasets.md -------------------------------

def fnv1a64(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & MASK64
    return h


def fmix64(h: int) -> int:
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & MASK64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & MASK64
    h ^= h >> 33
    return h


def hash_split(sample_id: str, seed: int) -> str:
    bucket = fmix64(fnv1a64(seed.to_bytes(8, "little") + sample_id.encode("utf-8"))) % 1000
    return "train" if bucket < 800 else "validation" if bucket < 900 else "test"


def _cp1252_handler(err):
    chunk = err.object[err.start:err.end]
    return "".join(chr(b) if b in CP1252_UNDEFINED else bytes([b]).decode("cp1252") for b in chunk), err.end


codecs.register_error("dataset_oracle_cp1252", _cp1252_handler)


def decode_mixed(data: bytes) -> str:
    return data.decode("utf-8", "dataset_oracle_cp1252")


def split_name_of_file(path: pathlib.Path):
    name = path.name.lower()
    if "." not in name:
        return None
    stem = name.split(".", 1)[0]
    return {"train": "train", "validation": "validation", "val": "validation", "test": "test"}.get(stem)


class Rows:
    """Trimming, skipping and the two id rules; the expected rows of a file in file order."""

    def __init__(self, content_ids):
        self.content_ids = content_ids
        self.samples = []
        self.rows_read = self.skipped_empty = self.duplicates_removed = 0
        self.first = {}

    def add(self, sample_id, source, reference, line):
        self.rows_read += 1
        source, reference = source.strip(WHITE_SPACE), reference.strip(WHITE_SPACE)
        if not source or not reference:
            self.skipped_empty += 1
            return
        if self.content_ids:
            sample_id = "ns-%016x" % fnv1a64(source.encode("utf-8"))
        if sample_id in self.first:
            if not self.content_ids:
                raise ValueError(f"repeated id {sample_id} at line {line}")
            if self.first[sample_id]["source"] != source:
                raise ValueError(f"content id collision at line {line}")
            self.duplicates_removed += 1
            return
        sample = {"id": sample_id, "line": line, "source": source, "reference": reference}
        self.first[sample_id] = sample
        self.samples.append(sample)


def expected_news(csv_path: pathlib.Path) -> Rows:
    rows = Rows(content_ids=True)
    reader = csv.reader(io.StringIO(csv_path.read_bytes().decode("latin-1"), newline=""))
    header = next(reader)
    ctext, text = header.index("ctext"), header.index("text")
    previous_end = reader.line_num
    for record in reader:
        start, previous_end = previous_end + 1, reader.line_num
        if not record:
            continue  # a blank line
        rows.add(None, decode_mixed(record[ctext].encode("latin-1")), decode_mixed(record[text].encode("latin-1")),
                 start)
    return rows


def cnn_rows_from_lines(lines) -> Rows:
    rows = Rows(content_ids=False)
    for number, line in enumerate(lines, start=1):
        if line.strip():
            obj = json.loads(line)
            rows.add(obj["id"], obj["article"], obj["highlights"], number)
    return rows


def expected_cnn_jsonl(path: pathlib.Path) -> Rows:
    with lzma.open(path, "rt", encoding="utf-8", newline="\n") as f:
        return cnn_rows_from_lines(f)


def expected_cnn_jsonl_plain(path: pathlib.Path) -> Rows:
    with open(path, encoding="utf-8", newline="\n") as f:
        return cnn_rows_from_lines(f)


def select(rows: Rows, split: str, seed: int, limit, file_split):
    if file_split is not None or split == "all":
        in_split = list(rows.samples)
    else:
        in_split = [s for s in rows.samples if hash_split(s["id"], seed) == split]
    return in_split, in_split[:limit] if limit else in_split


# --- running the C++ side ----------------------------------------------------------------------

def run_dump(args, workdir, name, flags):
    out = workdir / f"{name}.jsonl"
    cmd = [args.dump, "--out", str(out), *flags]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return proc, None, None
    lines = out.read_text(encoding="utf-8").splitlines()
    return proc, json.loads(lines[0]), [json.loads(x) for x in lines[1:]]


def compare_selection(label, header, got, rows, split, seed, limit, file_split):
    in_split, want = select(rows, split, seed, limit, file_split)
    stats = header["stats"]
    for key, value in [("rows_read", rows.rows_read), ("skipped_empty", rows.skipped_empty),
                       ("duplicates_removed", rows.duplicates_removed), ("in_split", len(in_split)),
                       ("selected", len(want))]:
        if stats[key] != value:
            fail(f"{label}: stats.{key} is {stats[key]}, expected {value}")
    if len(got) != len(want):
        fail(f"{label}: {len(got)} samples, expected {len(want)}")
    for i, (g, w) in enumerate(zip(got, want)):
        for key in ("id", "line", "source", "reference"):
            if g[key] != w[key]:
                fail(f"{label}: sample {i} (line {w['line']}) differs in {key}: {str(g[key])[:60]!r} vs "
                     f"{str(w[key])[:60]!r}")
                return
    print(f"dataset_oracle {label}: {len(got)} samples equal ({len(in_split)} in split; "
          f"rows {rows.rows_read}, empty {rows.skipped_empty}, duplicates {rows.duplicates_removed})", flush=True)
    return [g["id"] for g in got]


def check_news(args, workdir, data):
    csv_path = data / "news_summary" / "news_summary.csv"
    # Row counts from pandas, the reader the dataset's users use; they must agree with both sides.
    df = pd.read_csv(csv_path, encoding="latin-1")
    nonempty = df["ctext"].dropna()
    pandas_counts = {"rows_read": len(df), "skipped_empty": int(df["ctext"].isna().sum()),
                     "duplicates_removed": int(nonempty.duplicated().sum())}
    if pandas_counts != {"rows_read": 4514, "skipped_empty": 118, "duplicates_removed": 55}:
        fail(f"pandas counts {pandas_counts} differ from PROVENANCE.md (4514 rows, 118 empty, 55 duplicates)")
    rows = expected_news(csv_path)
    for key, value in pandas_counts.items():
        if getattr(rows, key) != value:
            fail(f"news_summary: the Python rendering of the rules gives {key} {getattr(rows, key)}, pandas {value}")

    ids = {}
    cases = [(s, 0, None) for s in [*SPLITS, "all"]] + [("test", 12345, None), ("validation", 0, 25)]
    for split, seed, limit in cases:
        flags = ["--dataset", "news_summary", "--data-dir", str(data), "--split", split, "--split-seed", str(seed)]
        if limit:
            flags += ["--limit", str(limit)]
        label = f"news_summary {split} seed {seed}" + (f" limit {limit}" if limit else "")
        proc, header, got = run_dump(args, workdir, f"news_{split}_{seed}_{limit}", flags)
        if header is None:
            fail(f"{label}: dataset_dump failed: {proc.stderr.strip()}")
            continue
        ids[(split, seed, limit)] = compare_selection(label, header, got, rows, split, seed, limit, None)
    # The three splits partition the rows.
    parts = [set(ids.get((s, 0, None)) or []) for s in SPLITS]
    everything = set(ids.get(("all", 0, None)) or [])
    if sum(map(len, parts)) != len(everything) or set().union(*parts) != everything:
        fail("news_summary: train, validation and test do not partition all")
    else:
        print(f"dataset_oracle news_summary: train/validation/test = {'/'.join(str(len(p)) for p in parts)} of "
              f"{len(everything)}", flush=True)


def check_cnn(args, workdir, data):
    folder = data / "cnn_dailymail" / "see2017_tok_lower"
    provenance_rows = {"test": 4490, "validation": 4368}
    for file_split, count in provenance_rows.items():
        path = folder / f"{file_split}.partial.jsonl.xz"
        rows = expected_cnn_jsonl(path)
        if rows.rows_read != count:
            fail(f"cnn_dailymail {file_split}: Python reads {rows.rows_read} rows, PROVENANCE.md says {count}")
        for split, flags in [(file_split, ["--data-dir", str(data)]), ("all", ["--data", str(path)])]:
            label = f"cnn_dailymail {path.name} --split {split}"
            proc, header, got = run_dump(args, workdir, f"cnn_{file_split}_{split}",
                                         ["--dataset", "cnn_dailymail", "--split", split, *flags])
            if header is None:
                fail(f"{label}: dataset_dump failed: {proc.stderr.strip()}")
                continue
            if header["path"] != str(path):
                fail(f"{label}: read {header['path']}, expected {path}")
            compare_selection(label, header, got, rows, split, 0, None, split_name_of_file(path))
        # A per-split file refuses another split, as a usage error that explains itself.
        other = "validation" if file_split == "test" else "test"
        proc, header, _ = run_dump(args, workdir, f"cnn_{file_split}_wrong",
                                   ["--dataset", "cnn_dailymail", "--data", str(path), "--split", other])
        if proc.returncode != 2 or f"is the {file_split} split" not in proc.stderr:
            fail(f"cnn_dailymail {path.name} --split {other}: exit {proc.returncode}, {proc.stderr.strip()!r}; "
                 f"expected exit 2 naming the file's split")
    check_cnn_other_layouts(args, workdir, folder)


def check_cnn_other_layouts(args, workdir, folder):
    """A combined, uncompressed JSONL file (hash split) and HF's CSV layout (id, article, highlights)."""
    combined = workdir / "cnn_test_and_validation.jsonl"
    with open(combined, "wb") as out:
        for name in ("test", "validation"):
            out.write(lzma.decompress((folder / f"{name}.partial.jsonl.xz").read_bytes()))
    rows = expected_cnn_jsonl_plain(combined)
    for split, seed in [("train", 0), ("validation", 0), ("test", 0), ("test", 99)]:
        label = f"cnn_dailymail {combined.name} --split {split} seed {seed}"
        proc, header, got = run_dump(args, workdir, f"cnn_combined_{split}_{seed}",
                                     ["--dataset", "cnn_dailymail", "--data", str(combined), "--split", split,
                                      "--split-seed", str(seed)])
        if header is None:
            fail(f"{label}: dataset_dump failed: {proc.stderr.strip()}")
            continue
        compare_selection(label, header, got, rows, split, seed, None, None)

    hf_csv = workdir / "validation.csv"
    source = expected_cnn_jsonl(folder / "validation.partial.jsonl.xz").samples[:500]
    with open(hf_csv, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["article", "highlights", "id"])
        for s in source:
            writer.writerow([s["source"], s["reference"], s["id"]])
    rows = Rows(content_ids=False)
    with open(hf_csv, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        previous_end = reader.line_num
        for record in reader:
            start, previous_end = previous_end + 1, reader.line_num
            rec = dict(zip(header, record))
            rows.add(rec["id"], rec["article"], rec["highlights"], start)
    label = f"cnn_dailymail {hf_csv.name} --split validation"
    proc, header, got = run_dump(args, workdir, "cnn_csv",
                                 ["--dataset", "cnn_dailymail", "--data", str(hf_csv), "--split", "validation"])
    if header is None:
        fail(f"{label}: dataset_dump failed: {proc.stderr.strip()}")
    else:
        compare_selection(label, header, got, rows, "validation", 0, None, "validation")


def check_prompts(args, workdir, data):
    enc = tokenizer_oracle.build_oracle(data / "gpt2_tokenizer")
    cases = [("news_summary", "test", "{source}\nTL;DR:", 1024, 64, None),
             ("cnn_dailymail", "test", "Article: {source}\n\nSummary:", 256, 32, 400)]
    for dataset, split, template, context, max_new, limit in cases:
        flags = ["--dataset", dataset, "--data-dir", str(data), "--split", split, "--tokenizer",
                 str(data / "gpt2_tokenizer"), "--context", str(context), "--max-new-tokens", str(max_new),
                 "--template", template]
        if limit:
            flags += ["--limit", str(limit)]
        label = f"prompts {dataset} context {context} max_new {max_new}"
        proc, header, got = run_dump(args, workdir, f"prompts_{dataset}", flags)
        if header is None:
            fail(f"{label}: dataset_dump failed: {proc.stderr.strip()}")
            continue
        prefix, suffix = template.split("{source}")
        head = enc.encode(prefix, allowed_special="all")
        tail = enc.encode(suffix, allowed_special="all")
        truncated = 0
        for g in got:
            body = enc.encode(g["source"], disallowed_special=())
            keep = min(len(body), context - max_new - len(head) - len(tail))
            want = head + body[:keep] + tail
            if g["prompt_ids"] != want or g["source_tokens"] != len(body) or g["source_tokens_kept"] != keep \
                    or g["truncated"] != (keep < len(body)):
                fail(f"{label}: prompt of {g['id']} differs (len {len(g['prompt_ids'])} vs {len(want)})")
                break
            if keep < len(body):
                truncated += 1
                if len(want) + max_new != context:
                    fail(f"{label}: truncated prompt of {g['id']} does not fill the context exactly")
        if truncated == 0:
            fail(f"{label}: no prompt was truncated, so truncation was not tested")
        print(f"dataset_oracle {label}: {len(got)} prompts equal tiktoken's ids ({truncated} truncated)", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dump", required=True, help="path of the dataset_dump executable")
    parser.add_argument("--workdir", required=True, help="folder for dataset_dump's output")
    args = parser.parse_args()
    workdir = pathlib.Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    data = data_dir()
    check_news(args, workdir, data)
    check_cnn(args, workdir, data)
    check_prompts(args, workdir, data)
    if failures:
        print(f"dataset_oracle: {len(failures)} failure(s)", flush=True)
        sys.exit(1)
    print("dataset_oracle: all checks passed", flush=True)


if __name__ == "__main__":
    main()
