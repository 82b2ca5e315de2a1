#!/usr/bin/env python3
"""Hostile inputs and clashing writers (issue 15): deeply nested JSON in every JSON reader, FIFOs
and devices where files are expected, outputs that are inputs or symlinks, out-of-range integers,
oversized plans and an xz bomb, non-UTF-8 flags in reports, and a second sweep writer. Each case
must end in a one-line error naming the file, key or flag (exit 2 for usage, 1 for runtime): no
crash, no hang, and no input or earlier output touched.

Env: GPTBENCH_BIN, GPTBENCH_DATA_DIR. Builds its checkpoints with `gptbench init` in a temp dir.
"""
import fcntl
import json
import lzma
import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path

from error_checks import BIN, DATA, check, expect, finish
from tiny_checkpoint import tiny_checkpoint

DEEP = "[" * 100_000 + "]" * 100_000  # 200 KB, 100,000 levels


def main():
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        good = tiny_checkpoint(BIN, DATA, tmp / "good")

        def variant(name, mutate):
            d = tmp / name
            shutil.copytree(good, d)
            mutate(d)
            return d

        def set_config(**keys):
            def mutate(d):
                c = json.loads((d / "config.json").read_text())
                c.update(keys)
                (d / "config.json").write_text(json.dumps(c))
            return mutate

        deep = tmp / "deep.json"
        deep.write_text(DEEP)
        deep_jsonl = tmp / "deep.jsonl"
        deep_jsonl.write_text(DEEP + "\n")

        # 1. Deeply nested JSON: refused by the bounded reader, named, before any recursive dump.
        deep_config = variant("deep_config", lambda d: (d / "config.json").write_text(DEEP))
        expect(["info", "--model", deep_config], 1, "config.json", "nested deeper")
        deep_vocab = variant("deep_vocab", lambda d: (d / "vocab.json").write_text(DEEP))
        expect(["generate", "--model", deep_vocab, "--prompt", "hi"], 1, "vocab.json", "nested deeper")
        expect(["generate", "--model", good, "--prompt-file", deep_jsonl], 1, "deep.jsonl", "nested deeper")
        expect(["logits", "--model", good, "--ids", deep, "--out", tmp / "l.safetensors"], 1, "deep.json",
               "nested deeper")
        expect(["sweep", "--config", deep, "--out", tmp / "s.jsonl"], 2, "deep.json", "nested deeper")
        expect(["compare", deep, deep], 1, "deep.json", "nested deeper")
        expect(["compare", deep_jsonl, deep_jsonl], 1, "deep.jsonl", "nested deeper")
        overflow = tmp / "overflow.json"  # found by fuzz_compare_input: escaped as a JSON-library out_of_range
        overflow.write_text('{"status": "ok", "x": 1e400}')
        expect(["compare", overflow, overflow], 1, "overflow.json", "invalid JSON")
        overflow_lines = tmp / "overflow_lines.jsonl"
        overflow_lines.write_text('{"record": "sweep"}\n{"record": "cell", "x": 1e400}\n')
        expect(["compare", overflow_lines, overflow_lines], 1, "overflow_lines.jsonl:2", "invalid JSON")
        wide_deep = tmp / "deep_value.json"  # deep inside an otherwise valid config value
        wide_deep.write_text('{"model_type": ' + DEEP + "}")
        expect(["info", "--model", variant("deep_value", lambda d: shutil.copy(wide_deep, d / "config.json"))], 1,
               "config.json", "nested deeper")

        # train_state.json on --resume: deep, and a negative examples_consumed.
        text = tmp / "train.txt"
        text.write_text("the quick brown fox jumps over the lazy dog. " * 200)
        train = ["train", "--model", good, "--dataset", "text", "--data-path", text, "--device", "cpu", "--steps",
                 "2", "--warmup-steps", "0", "--batch-size", "1", "--seq-len", "16", "--quiet"]
        for name, state in [("deep_state", DEEP),
                            ("negative_state", json.dumps({"step": 1, "examples_consumed": -5, "identity": {}}))]:
            out = tmp / name
            out.mkdir()
            (out / "train_state.json").write_text(state)
            expect(train + ["--out", out, "--resume"], 1, "train_state.json",
                   "nested deeper" if name == "deep_state" else "examples_consumed")

        # 2. FIFOs where files are expected: refused at once, never waited on.
        fifo = tmp / "fifo.jsonl"
        os.mkfifo(fifo)
        expect(["generate", "--model", good, "--prompt-file", fifo], 1, "fifo.jsonl", "not a regular file")
        fifo_config = variant("fifo_config", lambda d: ((d / "config.json").unlink(), os.mkfifo(d / "config.json")))
        expect(["info", "--model", fifo_config], 1, "config.json", "not a regular file")
        expect(["info", "--preset", fifo, "--model", good], 2, "--preset", "not a regular file")
        expect(["score", "--predictions", fifo, "--references", fifo], 1, "fifo.jsonl", "not a regular file")
        expect(["compare", fifo, fifo], 1, "fifo.jsonl", "not a regular file")
        expect(["info", "--preset", "/dev/zero", "--model", good], 2, "--preset", "/dev/zero")

        # 3. Outputs: never an input, through symlinks to their target, never a device, checked first.
        run = ["run", "--model", good, "--data-dir", DATA, "--device", "cpu", "--quiet"]
        csv = tmp / "news.csv"
        shutil.copy(DATA / "news_summary" / "news_summary.csv", csv)
        before = csv.read_bytes()
        expect(run + ["--dataset", "news_summary", "--data", csv, "--limit", "1", "--out", csv], 2, "--out",
               "news.csv")
        check(csv.read_bytes() == before, "run --out equal to the dataset CSV leaves the CSV as it was")
        ids = tmp / "ids.json"
        ids.write_text("[[1, 2, 3]]")
        expect(["logits", "--model", good, "--ids", ids, "--out", ids], 2, "--out", "ids.json")
        check(ids.read_text() == "[[1, 2, 3]]", "logits --out equal to --ids leaves the ids file as it was")
        link_alias = tmp / "alias.json"
        os.symlink(ids, link_alias)
        expect(["logits", "--model", good, "--ids", ids, "--out", link_alias], 2, "--out", "alias.json")
        check(ids.read_text() == "[[1, 2, 3]]", "an --out symlink to the input is the input too")

        one = tmp / "one.jsonl"  # a run that fails with "no samples" and writes an error report
        one.write_text('{"source": "a b c", "reference": "b", "id": "x"}\n')
        failing = run + ["--dataset", "jsonl", "--data", one, "--split", "validation", "--limit", "5"]
        target = tmp / "target.json"
        target.write_text("old")
        link = tmp / "link.json"
        os.symlink(target, link)
        expect(failing + ["--out", link], 1, "no samples")
        written = json.loads(target.read_text()) if target.read_text() != "old" else {}
        check(link.is_symlink() and written.get("status") == "error",
              "--out through a symlink writes the target and keeps the link")
        expect(failing + ["--out", "/dev/null"], 2, "--out", "/dev/null", "not a regular file")
        check(Path("/dev/null").is_char_device(), "/dev/null is still a character device")
        expect(failing + ["--out", tmp / "no_such_folder" / "r.json"], 2, "--out", "no_such_folder")
        expect(failing + ["--predictions", tmp / "no_such_folder" / "p.jsonl"], 2, "--predictions", "no_such_folder")
        expect(failing + ["--out", tmp], 2, "--out", "folder")

        # The error report is written even when a flag echoed into it is not valid UTF-8.
        bad_utf8 = tmp / "bad_utf8.json"
        expect(failing + ["--prompt-template", b"\xff\xfe {source}", "--out", bad_utf8], 1, "no samples")
        report = json.loads(bad_utf8.read_text(encoding="utf-8")) if bad_utf8.exists() else {}
        check(report.get("status") == "error", "a non-UTF-8 --prompt-template still gets its error report")

        # init --tokenizer of a missing folder writes nothing.
        expect(["init", "--config", "gpt2", "--out", tmp / "no_tok", "--tokenizer", tmp / "nope"], 1, "nope")
        check(not (tmp / "no_tok" / "model.safetensors").exists(), "init with a missing tokenizer writes no checkpoint")

        # 4. Integers: exact or refused, never wrapped or clamped.
        ids_wrap = tmp / "ids_wrap.json"
        ids_wrap.write_text("[[1, 4294967301]]")
        expect(["logits", "--model", good, "--ids", ids_wrap, "--out", tmp / "w.safetensors"], 1, "ids_wrap.json",
               "4294967301")
        expect(run + ["--batch-size", "99999999999999999999"], 2, "--batch-size")
        expect(["generate", "--model", good, "--prompt", "hi", "--max-new-tokens", "9223372036854775807"], 2,
               "--max-new-tokens")
        expect(["generate", "--model", good, "--prompt", "hi", "--variant", "alibi", "--max-new-tokens",
                "100000000"], 2, "--max-new-tokens")
        expect(["info", "--model", variant("huge_positions", set_config(n_positions=2 ** 62))], 1, "n_positions")
        expect(["info", "--model", variant("wrapped_layers", set_config(n_layer=2 ** 64 + 2))], 1, "n_layer")
        one_token = tiny_checkpoint(BIN, DATA, tmp / "one_token", {"vocab_size": 1})
        expect(["run", "--model", one_token, "--dataset", "synthetic", "--device", "cpu", "--quiet", "--limit", "1",
                "--max-new-tokens", "1", "--prompt-tokens", "4"], 1, "vocab_size")

        # merge: a sweep file whose header or cell holds a negative count or index.
        header = {"record": "sweep", "schema_version": 1, "definition": {}, "definition_id": "d", "n_cells": -3,
                  "shard": {"index": 0, "count": 1}}
        neg_cells = tmp / "neg_cells.jsonl"
        neg_cells.write_text(json.dumps(header) + "\n")
        expect(["merge", neg_cells, "--out", tmp / "m1.jsonl"], 1, "neg_cells.jsonl:1", "n_cells")
        header["n_cells"] = 4
        cell = {"record": "cell", "key": "k", "index": -1, "cell": {}, "status": "ok", "definition_id": "d"}
        neg_index = tmp / "neg_index.jsonl"
        neg_index.write_text(json.dumps(header) + "\n" + json.dumps(cell) + "\n")
        expect(["merge", neg_index, "--out", tmp / "m2.jsonl"], 1, "neg_index.jsonl:2", "index")

        # 5. Plans and decompression: refused, not attempted.
        expect(["sweep", "--model", good, "--device", "cpu", "--batch-sizes", "1-10000", "--prompt-tokens", "1-10000",
                "--new-tokens", "1-10000", "--out", tmp / "grid.jsonl"], 2, "cells")
        bomb_dir = tmp / "bomb"
        bomb_dir.mkdir()
        (bomb_dir / "news_summary.csv.xz").write_bytes(lzma.compress(b"\0" * (200 << 20), preset=1))
        expect(run + ["--dataset", "news_summary", "--data", bomb_dir / "news_summary.csv.xz", "--limit", "1"], 1,
               "news_summary.csv.xz", "decompress")

        # 6. A second sweep writer of one --out is refused, naming the holder; the file is untouched.
        out = tmp / "locked.jsonl"
        out.write_text("earlier output\n")
        lock_path = tmp / ".locked.jsonl.lock"
        with open(lock_path, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            lock.write(f"pid {os.getpid()} on {socket.gethostname()}\n")
            lock.flush()
            sweep = ["sweep", "--model", good, "--device", "cpu", "--batch-sizes", "1", "--prompt-tokens", "4",
                     "--new-tokens", "1", "--limit", "1", "--out", out, "--no-summary", "--quiet"]
            expect(sweep + ["--force-new"], 1, "another gptbench sweep", f"pid {os.getpid()}")
            expect(sweep, 1, "another gptbench sweep")
        check(out.read_text() == "earlier output\n", "the refused sweeps left the earlier output alone")
    return finish("hostile-input")


if __name__ == "__main__":
    sys.exit(main())
