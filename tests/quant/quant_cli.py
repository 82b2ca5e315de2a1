"""`--quant` and `gptbench quantize` from the command line, on the tiny GPT-2 checkpoint (CPU):
- quantize writes a complete folder (config, weights, tokenizer) and nothing else; `logits --model Q` equals
  `logits --model DENSE --quant ...` byte for byte and differs from the dense logits;
- run --task perplexity reports the quant block, the bytes held and the KL to the unquantized model;
- errors: one line, exit 2 for flags (a group that does not divide K names the layer and a group that does,
  a --quant that disagrees with a quantized checkpoint, unknown formats, flags without --quant, an existing
  --out) and exit 1 for a corrupt file (named); nothing half-written."""
import json
import struct
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "cli"))
import subprocess  # noqa: E402

from error_checks import BIN, DATA, check, expect, finish  # noqa: E402
from tiny_checkpoint import tiny_checkpoint  # noqa: E402


def run(*args):
    res = subprocess.run([BIN] + [str(a) for a in args], capture_output=True, timeout=120)
    if res.returncode != 0:
        print(res.stderr.decode()[-2000:])
    return res.returncode


def header(path):
    raw = Path(path).read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    return json.loads(raw[8:8 + n]), raw[8 + n:]


def main():
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        dense = tiny_checkpoint(BIN, DATA, tmp / "dense")  # K = 64 (attention, c_fc) and 256 (mlp.c_proj)
        ids = tmp / "ids.json"
        ids.write_text(json.dumps([[464, 3290, 318, 257, 1332], [40, 588, 3290]]))
        q = tmp / "q"
        check(run("quantize", "--model", dense, "--quant", "int4", "--quant-group", "32", "--dtype", "fp32",
                  "--device", "cpu", "--out", q) == 0, "quantize int4 g32 succeeds")
        names = sorted(p.name for p in q.iterdir())
        check(names == ["config.json", "merges.txt", "model.safetensors", "vocab.json"], "quantize writes the folder",
              str(names))
        check(sorted(p.name for p in tmp.iterdir() if p.name.startswith(".")) == [], "no temporary folder is left")
        meta, _ = header(q / "model.safetensors")
        spec = json.loads(meta["__metadata__"]["gptbench.quant:h.0.attn.c_attn.weight"])
        check(spec == {"format": "int4", "group": 32, "symmetric": False, "shape": [192, 64], "dtype": "F32"},
              "the metadata declares each quantized weight", str(spec))
        check(meta["h.0.attn.c_attn.weight.qdata"]["dtype"] == "U8" and "h.0.attn.c_attn.weight" not in meta,
              "the quantized projection holds packed data only")

        out_q, out_load, out_dense = tmp / "lq.safetensors", tmp / "ll.safetensors", tmp / "ld.safetensors"
        check(run("logits", "--model", q, "--device", "cpu", "--ids", ids, "--out", out_q) == 0, "logits of Q")
        check(run("logits", "--model", dense, "--device", "cpu", "--quant", "int4", "--quant-group", "32", "--ids", ids,
                  "--out", out_load) == 0, "logits quantized at load")
        check(run("logits", "--model", dense, "--device", "cpu", "--ids", ids, "--out", out_dense) == 0, "dense logits")
        _, lq = header(out_q)
        _, ll = header(out_load)
        _, ld = header(out_dense)
        check(lq == ll, "the quantized checkpoint gives the logits of quantizing at load, byte for byte")
        check(lq != ld, "and they differ from the dense logits")

        report = tmp / "ppl.json"
        check(run("run", "--task", "perplexity", "--model", dense, "--device", "cpu", "--limit", "300", "--quant",
                  "int8", "--kl-against", "none", "--quiet", "--out", report) == 0, "perplexity --quant int8")
        r = json.loads(report.read_text())
        quant = r.get("quant") or {}
        check(quant.get("format") == "int8" and quant.get("layers") == 8 and quant.get("source") == "load"
              and quant.get("modules") == "attn.c_attn,attn.c_proj,mlp.c_fc,mlp.c_proj" and not quant.get("lm_head"),
              "the report's quant block", json.dumps(quant))
        kl = r["quality"].get("kl_against") or {}
        check(kl.get("mean_kl") is not None and 0 < kl["mean_kl"] < 0.1, "KL to the unquantized model", json.dumps(kl))
        before, after = quant.get("weight_bytes_before", 0), quant.get("weight_bytes_after", 0)
        check(after * 3 < before, "int8 weights take under a third of fp32's", f"{before} -> {after}")
        dense_report = tmp / "ppl_dense.json"
        run("run", "--task", "perplexity", "--model", dense, "--device", "cpu", "--limit", "300", "--quiet",
            "--out", dense_report)
        dense_bytes = json.loads(dense_report.read_text())["memory"]["weights_bytes"]
        check(r["memory"]["weights_bytes"] == dense_bytes - before + after, "memory.weights_bytes counts what is held",
              f"{r['memory']['weights_bytes']} vs {dense_bytes} - {before} + {after}")
        check(r["config"]["quant"] == "int8" and "quant" not in json.loads(dense_report.read_text()),
              "the config echoes --quant; a dense report has no quant block")

        # Errors
        q2 = tmp / "q2"
        expect(["quantize", "--model", dense, "--quant", "int4", "--device", "cpu", "--out", q2], 2,
               "--quant-group 128: layer h.0.attn.c_attn has K = 64 input features, not a multiple of the int4 group "
               "128; --quant-group 64 divides every layer's K")
        check(not q2.exists(), "a refused quantize writes nothing")
        expect(["quantize", "--model", dense, "--quant", "int8", "--device", "cpu", "--out", q], 2, "already exists")
        expect(["quantize", "--model", dense, "--device", "cpu", "--out", q2], 2, "--quant: gptbench quantize needs")
        expect(["logits", "--model", q, "--device", "cpu", "--quant", "int8", "--ids", ids, "--out", tmp / "x"], 2,
               "--quant int8 per-channel:", "holds weights quantized as int4 g32 asymmetric")
        expect(["logits", "--model", q, "--device", "cpu", "--quant", "none", "--ids", ids, "--out", tmp / "x"], 2,
               "--quant none:")
        expect(["logits", "--model", dense, "--quant", "int5", "--ids", ids, "--out", tmp / "x"], 2,
               '--quant: unknown value "int5" (none, int8, int4, nf4)')
        expect(["logits", "--model", dense, "--quant-group", "64", "--ids", ids, "--out", tmp / "x"], 2,
               "--quant-group: needs --quant int4 or nf4")
        expect(["logits", "--model", dense, "--quant", "int8", "--quant-group", "64", "--ids", ids, "--out",
                tmp / "x"], 2, "--quant-group: int8 has one scale per output channel")
        expect(["logits", "--model", dense, "--quant", "nf4", "--quant-group", "48", "--ids", ids, "--out",
                tmp / "x"], 2, "--quant-group: the nf4 block must be a power of two")
        expect(["run", "--task", "perplexity", "--model", q, "--device", "cpu", "--limit", "300", "--kl-against",
                "none", "--out", tmp / "x.json"], 2, "--kl-against none:", "is a quantized checkpoint")
        corrupt = tmp / "corrupt"
        corrupt.mkdir()
        for name in ("config.json", "vocab.json", "merges.txt"):
            (corrupt / name).write_bytes((q / name).read_bytes())
        raw = (q / "model.safetensors").read_bytes()
        (corrupt / "model.safetensors").write_bytes(raw[:-64])
        expect(["logits", "--model", corrupt, "--device", "cpu", "--ids", ids, "--out", tmp / "x"], 1,
               str(corrupt / "model.safetensors"))
        check(not (tmp / "x").exists(), "no output after an error")
    return finish("quantization command-line")


if __name__ == "__main__":
    sys.exit(main())
