"""Oracle for gptbench's safetensors reader and writer against the official `safetensors`
package (and transformers' sharded save_pretrained).

Usage: safetensors_oracle.py PATH/TO/safetensors_dump

Read direction: files written by safetensors.numpy / safetensors.torch and a sharded tiny
GPT-2 checkpoint are dumped by the C++ tool; names, dtypes, shapes, byte hashes, metadata and
shard files must equal what the official reader reports. Write direction: the C++ tool writes
a file that the official reader must load with the expected values, and whose bytes must equal
the official writer's output for the same tensors. Validation: for a set of hand-made files the
C++ reader must accept or reject exactly as the official one does, except for two documented,
deliberate differences. Exits non-zero on any mismatch.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import safetensors
import torch
from safetensors import safe_open
from safetensors.numpy import load as np_load
from safetensors.numpy import save as np_save
from safetensors.numpy import save_file as np_save_file
from safetensors.torch import load_file as torch_load_file
from safetensors.torch import save as torch_save
from safetensors.torch import save_file as torch_save_file

DUMP = sys.argv[1]
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message)


def fnv1a(data: bytes) -> str:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def tensor_bytes(t: torch.Tensor) -> bytes:
    # reshape first: a 0-d tensor cannot be viewed as bytes directly.
    return t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()


def run_dump(*args):
    return subprocess.run([DUMP, *args], capture_output=True, text=True)


def dump_lines(path):
    result = run_dump("read", str(path))
    check(result.returncode == 0, f"dump of {path} failed: {result.stderr.strip()}")
    return sorted(result.stdout.splitlines())


DTYPE_NAMES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}


def expected_lines_for_file(path, shard_column=None):
    """What the official reader sees in one file, in the dump tool's format."""
    lines = []
    with safe_open(str(path), framework="pt") as f:
        if shard_column is None:
            for key, value in (f.metadata() or {}).items():
                lines.append(f"meta\t{key}\t{value}")
        for name in f.keys():
            t = f.get_tensor(name)
            raw = tensor_bytes(t)
            shape = ",".join(str(d) for d in t.shape)
            line = f"tensor\t{name}\t{DTYPE_NAMES[t.dtype]}\t{shape}\t{len(raw)}\t{fnv1a(raw)}"
            if shard_column is not None:
                line += "\t" + shard_column
            lines.append(line)
    return lines


def read_direction(tmp):
    rng = np.random.default_rng(1234)
    numpy_file = os.path.join(tmp, "numpy.safetensors")
    np_save_file(
        {
            "layer.weight": rng.standard_normal((3, 5)).astype(np.float32),
            "layer.half": rng.standard_normal((7,)).astype(np.float16),
            "scalar": np.array(3.0, dtype=np.float32),
            "empty.rows": np.zeros((0, 4), dtype=np.float32),
            "empty.cols": np.zeros((2, 0), dtype=np.float16),
        },
        numpy_file,
        metadata={"format": "np", "note": "caf\u00e9", "answer": "42"},
    )
    torch_file = os.path.join(tmp, "torch_bf16.safetensors")
    gen = torch.Generator().manual_seed(7)
    torch_save_file(
        {
            "bf.weight": torch.randn(4, 3, generator=gen).to(torch.bfloat16),
            "bf.scalar": torch.tensor(-1.5, dtype=torch.bfloat16),
            "f32.bias": torch.randn(5, generator=gen),
        },
        torch_file,
        metadata={"format": "pt"},
    )
    for path in (numpy_file, torch_file):
        got, want = dump_lines(path), sorted(expected_lines_for_file(path))
        print(f"read {os.path.basename(path)}: {len(want)} lines")
        check(got == want, f"read {os.path.basename(path)}:\n  ours {got}\n  official {want}")
        check(len(want) >= 4, f"{path}: oracle produced too few lines to mean anything")


def sharded_gpt2(tmp):
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    config = GPT2Config(vocab_size=96, n_positions=32, n_embd=16, n_layer=3, n_head=2, bos_token_id=0, eos_token_id=0)
    model = GPT2LMHeadModel(config).eval()
    folder = os.path.join(tmp, "gpt2_sharded")
    model.save_pretrained(folder, max_shard_size="20KB")
    index_path = os.path.join(folder, "model.safetensors.index.json")
    check(os.path.exists(index_path), f"save_pretrained did not shard: {sorted(os.listdir(folder))}")
    if not os.path.exists(index_path):
        return
    with open(index_path) as f:
        weight_map = json.load(f)["weight_map"]
    shards = sorted(set(weight_map.values()))
    check(len(shards) >= 3, f"expected at least 3 shards, got {shards}")
    want = []
    for shard in shards:
        names = {n for n, s in weight_map.items() if s == shard}
        lines = expected_lines_for_file(os.path.join(folder, shard), shard_column=shard)
        check({line.split("\t")[1] for line in lines} == names, f"index and {shard} disagree (official view)")
        want += lines
    got = dump_lines(folder)
    check(got == sorted(want), f"sharded read:\n  ours {got[:5]}...\n  official {sorted(want)[:5]}...")
    # The bytes are the model's parameters, not just whatever the shards hold.
    state = model.state_dict()
    by_name = {line.split("\t")[1]: line.split("\t")[5] for line in got}
    for name, digest in by_name.items():
        raw = tensor_bytes(state[name])
        check(digest == fnv1a(raw), f"{name}: dumped bytes differ from the model parameter")
    check(len(by_name) >= 4 * config.n_layer, f"only {len(by_name)} tensors in the sharded checkpoint")
    print(f"sharded GPT-2: {len(by_name)} tensors in {len(shards)} shards")

    # Break the folder: a tensor listed in the index but absent from its shard.
    broken = dict(weight_map)
    broken["h.99.attn.c_attn.weight"] = shards[0]
    with open(index_path, "w") as f:
        json.dump({"metadata": {}, "weight_map": broken}, f)
    result = run_dump("read", folder)
    check(result.returncode == 1 and "h.99.attn.c_attn.weight" in result.stderr and shards[0] in result.stderr,
          f"broken index not reported: rc={result.returncode} {result.stderr.strip()}")


def expected_written():
    """The tensors safetensors_dump writes (formulas kept in sync with its write())."""
    dense = ((np.arange(12, dtype=np.float32) - 5.0) * 0.375).reshape(3, 4)
    half = (0x3C00 + np.arange(5) * 0x0123).astype(np.uint16)
    brain = (0xBF80 + np.arange(7) * 0x0011).astype(np.uint16).reshape(7, 1)
    return {
        "dense.f32": torch.from_numpy(dense),
        "half.f16": torch.from_numpy(half.view(np.int16)).view(torch.float16),
        "brain.bf16": torch.from_numpy(brain.view(np.int16)).view(torch.bfloat16),
        "scalar": torch.tensor(2.5, dtype=torch.float32),
        "empty.f16": torch.zeros((0, 3), dtype=torch.float16),
        "empty.f32": torch.zeros((4, 0), dtype=torch.float32),
    }


def write_direction(tmp):
    path = os.path.join(tmp, "ours.safetensors")
    result = run_dump("write", path)
    check(result.returncode == 0, f"write failed: {result.stderr.strip()}")
    if result.returncode != 0:
        return
    want = expected_written()
    got = torch_load_file(path)
    check(sorted(got) == sorted(want), f"tensor names: {sorted(got)} vs {sorted(want)}")
    for name, tensor in want.items():
        if name not in got:
            continue
        g = got[name]
        check(g.dtype == tensor.dtype and tuple(g.shape) == tuple(tensor.shape),
              f"{name}: {g.dtype}{tuple(g.shape)} vs {tensor.dtype}{tuple(tensor.shape)}")
        if g.dtype == tensor.dtype and g.shape == tensor.shape and g.numel():
            same = tensor_bytes(g) == tensor_bytes(tensor)
            check(same, f"{name}: values differ")
    with safe_open(path, framework="pt") as f:
        check(f.metadata() == {"format": "pt"}, f"metadata {f.metadata()}")
    with open(path, "rb") as f:
        ours = f.read()
    official = torch_save(want, metadata={"format": "pt"})
    print(f"written file: {len(ours)} bytes, {len(got)} tensors")
    check(ours == official, f"bytes differ from safetensors.torch.save:\n  ours     {ours[:200]!r}\n  official {official[:200]!r}")


def raw_file(header: bytes, data: bytes = b"") -> bytes:
    return struct.pack("<Q", len(header)) + header + data


def entry(name, begin, end, shape="[1]", dtype="F32", extra=""):
    return f'"{name}":{{"dtype":"{dtype}","shape":{shape},"data_offsets":[{begin},{end}]{extra}}}'


def validation_parity(tmp):
    z = b"\0"
    cases = {
        "good": raw_file(b"{" + entry("a", 0, 4).encode() + b"}", z * 4),
        "gap": raw_file(("{" + entry("a", 0, 4) + "," + entry("b", 8, 12) + "}").encode(), z * 12),
        "trailing_bytes": raw_file(b"{" + entry("a", 0, 4).encode() + b"}", z * 8),
        "overlap": raw_file(("{" + entry("a", 0, 4) + "," + entry("b", 0, 4) + "}").encode(), z * 4),
        "metadata_null": raw_file(('{"__metadata__":null,' + entry("a", 0, 4) + "}").encode(), z * 4),
        "metadata_int": raw_file(('{"__metadata__":{"x":1},' + entry("a", 0, 4) + "}").encode(), z * 4),
        "extra_field": raw_file(("{" + entry("a", 0, 4, extra=',"foo":1') + "}").encode(), z * 4),
        "duplicate_field": raw_file(b'{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}', z * 4),
        "leading_space": raw_file(b" {" + entry("a", 0, 4).encode() + b"}", z * 4),
        "trailing_nul": raw_file(b"{" + entry("a", 0, 4).encode() + b"}\0\0", z * 4),
        "unpadded_header": raw_file(b"{" + entry("a", 0, 4).encode() + b"} ", z * 4),
        "float_dim": raw_file(("{" + entry("a", 0, 4, shape="[1.0]") + "}").encode(), z * 4),
        "negative_dim": raw_file(("{" + entry("a", 0, 4, shape="[-1]") + "}").encode(), z * 4),
        "empty_header": raw_file(b"{}"),
        "zero_sized": raw_file(("{" + entry("a", 0, 0, "[0]") + "," + entry("b", 0, 0, "[2,0]") + "}").encode()),
        "scalar": raw_file(("{" + entry("a", 0, 4, "[]") + "}").encode(), z * 4),
        "unknown_dtype": raw_file(("{" + entry("a", 0, 4, dtype="X32") + "}").encode(), z * 4),
        "missing_shape": raw_file(b'{"a":{"dtype":"F32","data_offsets":[0,4]}}', z * 4),
        "three_offsets": raw_file(b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,4]}}', z * 4),
        "top_level_array": raw_file(b"[]"),
        "entry_not_object": raw_file(b'{"a":1}'),
        "header_too_large": struct.pack("<Q", 100_000_001) + b"{}",
        "header_past_end": struct.pack("<Q", 10) + b"{}",
        "too_short": z * 5,
        "shape_overflow": raw_file(("{" + entry("a", 0, 0, "[4611686018427387904,4]") + "}").encode()),
        "size_mismatch": raw_file(("{" + entry("a", 0, 4, "[2]") + "}").encode(), z * 4),
        "reversed_offsets": raw_file(("{" + entry("a", 4, 0) + "}").encode(), z * 4),
        "truncated": raw_file(("{" + entry("a", 0, 8, "[2]") + "}").encode(), z * 4),
        "invalid_utf8": raw_file(b'{"\xff":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', z * 4),
        # Deliberate differences: the official reader keeps the last of two equal tensor
        # names, and reads dtypes gptbench does not support.
        "duplicate_tensor": raw_file(("{" + entry("a", 0, 4) + "," + entry("a", 0, 4) + "}").encode(), z * 4),
        "dtype_i32": raw_file(("{" + entry("a", 0, 4, dtype="I32") + "}").encode(), z * 4),
    }
    stricter = {"duplicate_tensor", "dtype_i32"}
    for name, data in cases.items():
        try:
            np_load(data)
            official_ok = True
        except Exception:  # the official reader raises SafetensorError (or numpy errors)
            official_ok = False
        path = os.path.join(tmp, f"parity_{name}.safetensors")
        with open(path, "wb") as f:
            f.write(data)
        result = run_dump("read", path)
        ours_ok = result.returncode == 0
        if not ours_ok:
            check(result.returncode == 1 and path in result.stderr and len(result.stderr.strip().splitlines()) == 1,
                  f"{name}: rejection must be one line naming the file: {result.stderr!r}")
        if name in stricter:
            check(official_ok and not ours_ok, f"{name}: expected official accept / ours reject, got {official_ok}/{ours_ok}")
        else:
            check(ours_ok == official_ok, f"{name}: official {'accepts' if official_ok else 'rejects'}, "
                                          f"ours {'accepts' if ours_ok else 'rejects: ' + result.stderr.strip()}")
    print(f"validation parity: {len(cases)} cases")


def main():
    print("safetensors", safetensors.__version__, "torch", torch.__version__)
    with tempfile.TemporaryDirectory() as tmp:
        read_direction(tmp)
        sharded_gpt2(tmp)
        write_direction(tmp)
        validation_parity(tmp)
    if failures:
        print(f"{len(failures)} failure(s)")
        sys.exit(1)
    print("all safetensors oracle checks passed")


if __name__ == "__main__":
    main()
