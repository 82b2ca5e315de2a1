"""Oracle for gptbench's weight quantization (src/quant) against an independent PyTorch
transcription of docs/quantization.md and against bitsandbytes' NF4.

Usage: quant_oracle.py PATH/TO/quant_dump

Python writes random weights (fp32/fp16/bf16, several shapes, with zero rows, zero groups, all-positive
rows and outliers) to a safetensors file; quant_dump quantizes each with every spec, writes our
quantized checkpoint layout and reads it back to dequantize. Checked bit for bit:
  - int8 and int4 (symmetric and asymmetric): every stored tensor (qdata, qscale, qzero) and the
    dequantized weight equal this file's transcription of the documented formulas;
  - nf4: the same against this file's transcription, and against bitsandbytes' own
    quantize_4bit(quant_type="nf4", compress_statistics=True) / dequantize_4bit: packed bytes, the
    8-bit absmax codes, their fp32 scales and offset, and the dequantized weight;
  - the NF4 code book and the 8-bit dynamic map equal bitsandbytes' get_4bit_type / create_dynamic_map;
  - the metadata of the layout (version, format, group, symmetric, shape, dtype).
bitsandbytes runs its reference (pure PyTorch) backend: its native CPU library is not loaded, because
that library's 8-bit blockwise quantizer (used for the double quantization on the CPU only) picks a
non-nearest code for values near zero (e.g. 0.0 -> 2.1e-5), unlike its reference backend and its
CUDA kernel. Exits 77 (skip) only when bitsandbytes is not installed and says so; non-zero on a mismatch.
"""
import ctypes
import json
import os
import subprocess
import sys
import tempfile

os.environ.setdefault("TORCHDYNAMO_DISABLE", "1")  # bitsandbytes' eager code, not a compiled variant

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

DUMP = sys.argv[1]
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message)


def same(a, b, what):
    ok = a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)
    if not ok and a.shape == b.shape and a.dtype == b.dtype:
        diff = (a.float() != b.float()).sum().item()
        check(False, f"{what}: {diff} of {a.numel()} elements differ")
    else:
        check(ok, f"{what}: {a.dtype}{tuple(a.shape)} vs {b.dtype}{tuple(b.shape)}")


# ---- The transcription of docs/quantization.md.

def scale_dtype(dtype):
    return torch.bfloat16 if dtype == torch.bfloat16 else torch.float16


def div_round(v, s):
    """round(v / s) where s > 0, else 0 (round half to even)."""
    return torch.where(s > 0, torch.round(v / s), torch.zeros((), dtype=v.dtype))


def pack(q):
    """(N, K) values 0..15 -> (N, K/2) bytes, element 2j in the high nibble."""
    q = q.to(torch.uint8)
    return (q[:, 0::2] << 4) | q[:, 1::2]


def unpack(b):
    return torch.stack([b >> 4, b & 15], dim=2).reshape(b.shape[0], -1).to(torch.float32)


def int8_ref(w):
    wf = w.float()
    scale = (wf.abs().amax(1) / 127).to(scale_dtype(w.dtype))
    sf = scale.float()[:, None]
    q = div_round(wf, sf).clamp(-127, 127).to(torch.int8)
    return {"qdata": q, "qscale": scale}, q.float() * sf


def int4_ref(w, group, symmetric):
    n, k = w.shape
    wf = w.float().reshape(n, k // group, group)
    if symmetric:
        scale = (wf.abs().amax(2) / 7).to(scale_dtype(w.dtype))
        sf = scale.float()[:, :, None]
        q = div_round(wf, sf).clamp(-8, 7) + 8
        zero = torch.full((), 8.0)
        parts = {"qscale": scale}
    else:
        lo, hi = wf.amin(2).clamp(max=0), wf.amax(2).clamp(min=0)
        scale = ((hi - lo) / 15).to(scale_dtype(w.dtype))
        sf = scale.float()[:, :, None]
        zero = div_round(-lo[:, :, None], sf).clamp(0, 15)
        q = (div_round(wf, sf) + zero).clamp(0, 15)
        parts = {"qscale": scale, "qzero": zero[:, :, 0].to(torch.uint8)}
    parts["qdata"] = pack(q.reshape(n, k))
    deq = ((unpack(parts["qdata"]).reshape(n, k // group, group) - zero) * sf).reshape(n, k)
    return parts, deq


def nearest(v, code):
    bounds = (code[:-1] + code[1:]) / 2
    return torch.bucketize(v, bounds, right=False)


def blockwise(v, block, code):
    n = v.numel()
    full = n - n % block
    body = v[:full].reshape(-1, block)
    absmax = body.abs().amax(1)
    scaled = (body * (1.0 / absmax.clamp(min=1e-38))[:, None]).clamp(-1, 1).reshape(-1)
    if full < n:
        tail_max = v[full:].abs().amax().clamp(min=1e-38)
        absmax = torch.cat([absmax, tail_max[None]])
        scaled = torch.cat([scaled, (v[full:] / tail_max).clamp(-1, 1)])
    return nearest(scaled, code).to(torch.uint8), absmax


def unblock(codes, absmax, block, code):
    values = code[codes.long().reshape(-1)]
    return values * absmax[torch.arange(values.numel()) // block]


def nf4_ref(w, block, nf4_code, dyn_code):
    n, k = w.shape
    codes, absmax = blockwise(w.float().reshape(-1), block, nf4_code)
    offset = absmax.mean()
    codes2, absmax2 = blockwise(absmax - offset, 256, dyn_code)
    parts = {"qdata": pack(codes.reshape(n, k)), "qabsmax": codes2, "qabsmax_scale": absmax2, "qabsmax_offset": offset}
    absmax_back = unblock(codes2, absmax2, 256, dyn_code) + offset
    deq = unblock(unpack(parts["qdata"]).to(torch.uint8), absmax_back, block, nf4_code).reshape(n, k)
    return parts, deq


# ---- bitsandbytes, reference backend.

def load_bitsandbytes():
    real = ctypes.cdll.LoadLibrary

    def refuse(name, *args, **kwargs):
        if "bitsandbytes" in str(name):
            raise OSError("native library not loaded: the oracle uses the reference backend")
        return real(name, *args, **kwargs)

    ctypes.cdll.LoadLibrary = refuse
    try:
        import bitsandbytes.functional as bnb_functional
    except ImportError:
        return None
    finally:
        ctypes.cdll.LoadLibrary = real
    return bnb_functional


# ---- The weights.

def weights():
    g = torch.Generator().manual_seed(17)
    out = {}
    for i, (n, k) in enumerate([(8, 256), (48, 768), (5, 512), (96, 1024), (3, 4096)]):
        w = torch.randn(n, k, generator=g) * (0.02 * (i + 1))
        w[0, 5] = 3.0 * w.abs().max()  # an outlier
        if n > 3:
            w[1] = 0  # a zero row
            w[2, :128] = 0  # a zero group
            w[3] = w[3].abs() + 0.01  # all positive
        for dtype, name in [(torch.float32, "f32"), (torch.float16, "f16"), (torch.bfloat16, "bf16")]:
            out[f"w{i}.{name}"] = w.to(dtype).contiguous()
    return out


SPECS = {
    "int8": lambda w: int8_ref(w),
    "int4_g128": lambda w: int4_ref(w, 128, False),
    "int4_g32": lambda w: int4_ref(w, 32, False),
    "int4_g128_sym": lambda w: int4_ref(w, 128, True),
    "int4_g64_sym": lambda w: int4_ref(w, 64, True),
    "nf4_b64": None,
    "nf4_b128": None,
}
META = {"int8": ("int8", 0, False), "int4_g128": ("int4", 128, False), "int4_g32": ("int4", 32, False),
        "int4_g128_sym": ("int4", 128, True), "int4_g64_sym": ("int4", 64, True), "nf4_b64": ("nf4", 64, False),
        "nf4_b128": ("nf4", 128, False)}
DTYPE_NAMES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}


def main():
    bnb = load_bitsandbytes()
    if bnb is None:
        print("SKIP: bitsandbytes is not installed (pip install bitsandbytes; scripts/requirements.txt lists it)")
        return 77
    tensors = weights()
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "in.safetensors")
        save_file(tensors, source)
        result = subprocess.run([DUMP, source, tmp], capture_output=True, text=True)
        if result.returncode != 0:
            print("FAIL: quant_dump:", result.stderr.strip())
            return 1
        codes = load_file(os.path.join(tmp, "codes.safetensors"))
        nf4_code, dyn_code = codes["nf4_code"], codes["dynamic_code"]
        same(nf4_code, bnb.get_4bit_type("nf4", device="cpu"), "the NF4 code book vs bitsandbytes")
        same(dyn_code, bnb.create_dynamic_map(), "the 8-bit dynamic map vs bitsandbytes")
        compared = 0
        for label, meta in META.items():
            path = os.path.join(tmp, label + ".safetensors")
            stored = load_file(path)
            with safe_open(path, "pt") as f:
                metadata = f.metadata()
            check(metadata.get("gptbench.quant.version") == "1", f"{label}: version metadata {metadata}")
            back = load_file(os.path.join(tmp, label + ".dequant.safetensors"))
            for name, w in tensors.items():
                spec = json.loads(metadata[f"gptbench.quant:{name}"])
                want = {"format": meta[0], "group": meta[1], "symmetric": meta[2], "shape": list(w.shape),
                        "dtype": DTYPE_NAMES[w.dtype]}
                check(spec == want, f"{label} {name}: metadata {spec}, want {want}")
                if meta[0] == "nf4":
                    parts, deq = nf4_ref(w, meta[1], nf4_code, dyn_code)
                else:
                    parts, deq = SPECS[label](w)
                for part, ref in parts.items():
                    same(stored[f"{name}.{part}"], ref, f"{label} {name}.{part}")
                extra = sorted(k for k in stored if k.startswith(name + ".") and k[len(name) + 1:] not in parts)
                check(not extra, f"{label} {name}: unexpected tensors {extra}")
                same(back[name + ".f32"], deq, f"{label} {name} dequantized (fp32)")
                same(back[name], deq.to(w.dtype), f"{label} {name} dequantized ({w.dtype})")
                if meta[0] == "nf4":
                    q, state = bnb.quantize_4bit(w, blocksize=meta[1], compress_statistics=True, quant_type="nf4")
                    same(stored[name + ".qdata"].reshape(-1), q.reshape(-1), f"{label} {name}: bytes vs bitsandbytes")
                    same(stored[name + ".qabsmax"], state.absmax, f"{label} {name}: absmax codes vs bitsandbytes")
                    same(stored[name + ".qabsmax_scale"], state.state2.absmax,
                         f"{label} {name}: absmax scales vs bitsandbytes")
                    same(stored[name + ".qabsmax_offset"], state.offset.reshape(()),
                         f"{label} {name}: absmax offset vs bitsandbytes")
                    same(back[name], bnb.dequantize_4bit(q, state), f"{label} {name}: dequantized vs bitsandbytes")
                compared += 1
        print(f"compared {compared} (weight, format) pairs bit for bit; {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
