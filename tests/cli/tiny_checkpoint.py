"""The small random GPT-2 checkpoint the command-line test scripts run against, made with
`gptbench init` from tests/model/configs/tiny.json (2 layers, 4 heads of 16, 128 positions),
with the GPT-2 tokenizer copied in. `overrides` changes config keys, for example
{"n_head": 2, "n_embd": 128} for the head dim of 64 that the flash kernels take."""
import json
import subprocess
import sys
from pathlib import Path

TINY_CONFIG = Path(__file__).resolve().parent.parent / "model" / "configs" / "tiny.json"


def tokenizer_dir(data):
    """The GPT-2 tokenizer folder under the shared data folder; exits with a clear line when absent."""
    tok = Path(data) / "gpt2_tokenizer"
    if not (tok / "vocab.json").exists():
        sys.exit(f"GPTBENCH_DATA_DIR={data} has no gpt2_tokenizer/vocab.json")
    return tok


def tiny_checkpoint(binary, data, folder, overrides=None):
    """Writes the checkpoint into `folder` (which must not exist yet) and returns it."""
    folder = Path(folder)
    config = TINY_CONFIG
    if overrides:
        config = folder.parent / (folder.name + "_config.json")
        config.write_text(json.dumps({**json.loads(TINY_CONFIG.read_text()), **overrides}))
    subprocess.run([str(binary), "init", "--config", str(config), "--out", str(folder), "--tokenizer",
                    str(tokenizer_dir(data))], check=True, capture_output=True)
    return folder
