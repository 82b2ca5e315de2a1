#!/usr/bin/env python3
"""Bad input gets a one-line error naming the file, tensor or flag, and the right exit code
(2 for usage errors, 1 for runtime errors), never a crash and never a partial output file.

Env: GPTBENCH_BIN, GPTBENCH_DATA_DIR. Builds its checkpoints with `gptbench init` in a temp dir.
"""
import json
import shutil
import struct
import sys
import tempfile
from pathlib import Path

from error_checks import BIN, DATA, check, expect, finish
from tiny_checkpoint import tiny_checkpoint


def safetensors_bytes(header, data=b""):
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data


def main():
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        good = tiny_checkpoint(BIN, DATA, tmp / "good")

        # Flags
        expect(["frobnicate"], 2, "frobnicate")
        expect(["generate", "--model", good, "--prompt", "hi", "--bogus-flag"], 2, "--bogus-flag")
        expect(["generate", "--model", good, "--prompt", "hi", "--dtype", "fp8"], 2, "--dtype", "fp8")
        expect(["generate", "--model", good, "--prompt", "hi", "--device", "tpu"], 2, "--device")
        expect(["generate", "--model", good, "--prompt", "hi", "--variant", "flsh"], 2, "--variant", "flsh")
        expect(["generate", "--model", good, "--prompt", "hi", "--variant", "sparse", "--window", "0"], 2, "--window")
        expect(["generate", "--model", good, "--prompt", "hi", "--window", "16"], 2, "--window", "sparse")
        expect(["generate", "--model", good, "--prompt", "hi", "--max-new-tokens", "0"], 2, "--max-new-tokens")
        expect(["generate", "--model", good], 2, "--prompt")
        expect(["init", "--config", "gpt3", "--out", tmp / "x"], 2, "gpt3", "gpt2-medium")
        # A variant this checkpoint/device cannot run: our CUDA kernels on the CPU, or in fp32.
        expect(["generate", "--model", good, "--prompt", "hi", "--variant", "flash", "--device", "cpu"], 2, "flash")
        # A prompt longer than the context (tiny has 128 positions).
        expect(["generate", "--model", good, "--prompt", "word " * 200], 2, "context")
        expect(["generate", "--model", good, "--prompt", "hello", "--max-new-tokens", "500"], 2, "context")

        # Missing things
        expect(["info", "--model", tmp / "nope"], 1, str(tmp / "nope"))
        expect(["generate", "--model", tmp / "nope", "--prompt", "hi"], 1, str(tmp / "nope"))
        expect(["generate", "--model", good, "--prompt-file", tmp / "nope.jsonl"], 1, "nope.jsonl")
        bad_jsonl = tmp / "bad.jsonl"
        bad_jsonl.write_text('"fine"\n{"prompt": 3}\n')
        expect(["generate", "--model", good, "--prompt-file", bad_jsonl], 1, "bad.jsonl:2")

        def variant(name, mutate):
            d = tmp / name
            shutil.copytree(good, d)
            mutate(d)
            return d

        # A learned variant's options recorded in config.json ("gptbench" block, docs/variants.md): a flag that
        # states another value is a usage error naming the file, the key and the flag; a malformed value a
        # runtime error naming the key.
        sizes = {"nsa_block": 8, "nsa_stride": 4, "nsa_select_block": 8, "nsa_topk": 3, "nsa_window": 12}
        nsa = tiny_checkpoint(BIN, DATA, tmp / "nsa", {"gptbench": {"variant": "nsa", **sizes}})
        nsa_run = ["generate", "--model", nsa, "--prompt", "hi", "--variant", "nsa", "--device", "cpu"]
        expect(nsa_run + ["--nsa-topk", "8"], 2, "--nsa-topk 8", str(nsa / "config.json"), '"gptbench.nsa_topk" is 3')
        broken_nsa = tmp / "nsa_broken"
        shutil.copytree(nsa, broken_nsa)
        config = json.loads((broken_nsa / "config.json").read_text())
        config["gptbench"]["nsa_topk"] = "many"
        (broken_nsa / "config.json").write_text(json.dumps(config))
        expect(["generate", "--model", broken_nsa, "--prompt", "hi", "--variant", "nsa", "--device", "cpu"], 1,
               str(broken_nsa / "config.json"), '"gptbench.nsa_topk"')

        no_weights = variant("no_weights", lambda d: (d / "model.safetensors").unlink())
        expect(["info", "--model", no_weights], 1, "model.safetensors")
        no_config = variant("no_config", lambda d: (d / "config.json").unlink())
        expect(["generate", "--model", no_config, "--prompt", "hi"], 1, "config.json")
        bad_json = variant("bad_json", lambda d: (d / "config.json").write_text("{not json"))
        expect(["generate", "--model", bad_json, "--prompt", "hi"], 1, "config.json")
        no_vocab = variant("no_vocab", lambda d: (d / "vocab.json").unlink())
        expect(["generate", "--model", no_vocab, "--prompt", "hi"], 1, "vocab.json")

        # Config that does not match the weights: 3 layers declared, 2 stored.
        def more_layers(d):
            c = json.loads((d / "config.json").read_text())
            c["n_layer"] = 3
            (d / "config.json").write_text(json.dumps(c))
        expect(["generate", "--model", variant("mismatch_layers", more_layers), "--prompt", "hi"], 1, "h.2.")

        def wider(d):
            c = json.loads((d / "config.json").read_text())
            c["n_embd"] = 128
            (d / "config.json").write_text(json.dumps(c))
        expect(["generate", "--model", variant("mismatch_width", wider), "--prompt", "hi"], 1, "shape")

        # Corrupt safetensors files.
        def write_st(blob):
            return lambda d: (d / "model.safetensors").write_bytes(blob)
        expect(["info", "--model", variant("truncated", write_st(struct.pack("<Q", 10**6) + b"{}"))], 1,
               "model.safetensors")
        expect(["info", "--model", variant("badjson_st", write_st(struct.pack("<Q", 5) + b"{abc}"))], 1,
               "model.safetensors")
        expect(["info", "--model", variant("range", write_st(safetensors_bytes(
            {"wte.weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}, b"\0" * 8)))], 1,
            "wte.weight")
        expect(["info", "--model", variant("dtype", write_st(safetensors_bytes(
            {"wte.weight": {"dtype": "I8", "shape": [2], "data_offsets": [0, 2]}}, b"\0" * 2)))], 1,
            "wte.weight")
        expect(["info", "--model", variant("shape", write_st(safetensors_bytes(
            {"wte.weight": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8)))], 1,
            "wte.weight")

        # Missing and extra tensors (a valid file with the wrong tensor set).
        import numpy as np
        from safetensors.numpy import load_file, save_file
        tensors = load_file(str(good / "model.safetensors"))
        less = dict(tensors)
        del less["transformer.h.1.mlp.c_fc.bias"]
        expect(["generate", "--model", variant("missing_tensor", lambda d: save_file(less, str(d / "model.safetensors"))),
                "--prompt", "hi"], 1, "h.1.mlp.c_fc.bias", "missing")
        more = dict(tensors)
        more["transformer.h.0.attn.rotary.weight"] = np.zeros(4, dtype=np.float32)
        expect(["generate", "--model", variant("extra_tensor", lambda d: save_file(more, str(d / "model.safetensors"))),
                "--prompt", "hi"], 1, "rotary", "unexpected")

        # gptbench run: data and flag errors, before any model work.
        run = ["run", "--model", good, "--data-dir", DATA, "--device", "cpu", "--quiet"]
        expect(run + ["--dataset", "imdb"], 2, "imdb")
        expect(run + ["--limit", "0"], 2, "--limit")
        expect(run + ["--prompt-template", "Summarize:"], 2, "--prompt-template")
        expect(run + ["--batch-size", "0"], 2, "--batch-size")
        expect(run + ["--task", "translate"], 2, "--task")
        expect(run + ["--linear", "cublas"], 2, "--linear", "cublas", "gemv")
        expect(run + ["--kl-against", "alibi"], 2, "--kl-against")
        expect(run + ["--task", "perplexity", "--kl-against", "flsh"], 2, "--kl-against flsh", "unknown part")
        expect(run + ["--split", "valid"], 2, "--split", "valid", "train, validation, test, all")
        expect(run + ["--early-stopping", "sometimes"], 2, "--early-stopping", "false, true, never")
        expect(run + ["--timing", "wallclock"], 2, "--timing")
        expect(run + ["--decode", "turbo"], 2, "--decode", "turbo", "auto, graph, eager")
        expect(run + ["--device", "cuda:x"], 2, "--device", "cuda:x")
        expect(run + ["--no-repeat-ngram-size", "2"], 2, "--num-beams")
        expect(run + ["--dataset", "jsonl", "--data", tmp / "nope.jsonl"], 1, "nope.jsonl")
        cols = tmp / "cols.csv"
        cols.write_text("author,headlines\nx,y\n")
        expect(run + ["--dataset", "news_summary", "--data", cols], 1, "cols.csv", "ctext")
        badl = tmp / "train.bad.jsonl"
        badl.write_text('{"source": "a", "reference": "b"}\n{"source": 3}\n')
        expect(run + ["--dataset", "jsonl", "--data", badl, "--split", "all"], 1, "train.bad.jsonl:2")
        empty = tmp / "one.jsonl"
        empty.write_text('{"source": "a b c", "reference": "b", "id": "x"}\n')
        report = tmp / "failed.json"
        expect(run + ["--dataset", "jsonl", "--data", empty, "--split", "validation", "--limit", "5", "--out", report],
               1, "no samples")
        failed = json.loads(report.read_text()) if report.exists() else {}
        check(failed.get("status") == "error" and "no samples" in (failed.get("error") or ""),
              "a failed run writes a report with status error")

        # An output file is never left half-written: a failing logits run leaves nothing behind.
        out = tmp / "logits.safetensors"
        ids = tmp / "ids.json"
        ids.write_text("[[1, 2, 99999999]]")
        expect(["logits", "--model", good, "--ids", ids, "--out", out], 1, "99999999")
        check(not out.exists() and not any(p.name.startswith("logits.safetensors") for p in tmp.iterdir()),
              "a failing logits run leaves no file behind")
    return finish("bad-input")


if __name__ == "__main__":
    sys.exit(main())
