#!/usr/bin/env python3
"""Oracle for gptbench's SentencePiece tokenizer (src/text/sentencepiece_tokenizer.cpp).

sentencepiece_train_tool trains tokenizer.model files on the shared news text with gptbench's trainer
(text::train_sentencepiece: BPE, byte fallback, Llama-2's normalizer settings; vocabulary 1000, and a
model without byte fallback for unknown pieces). tokenizer_dump encodes a corpus with them; this script
re-encodes exactly those strings and compares every id with

  sentencepiece   the Python package (SentencePieceProcessor on the same file): the kAsText ids, and
                  decode of those ids (and of random id sequences: --corpus decode);
  transformers    transformers' LlamaTokenizer (= LlamaTokenizerFast in transformers 5) from_pretrained on a
                  folder with the tokenizer.model and a tokenizer_config.json {"add_bos_token": true,
                  "legacy": true}. transformers 5 builds it with a Metaspace pre-tokenizer (prepend_scheme
                  "always", split=False), which differs from sentencepiece in one documented way: a text
                  piece that already starts with a space (or U+2581) gets no dummy-prefix space. So:
                    - kRecognize ids (special tokens split the text; each piece encoded alone) equal
                      transformers' encode(add_special_tokens=False), and prompt_ids equal encode(), on
                      every text where no piece starts with a space;
                    - on every text, transformers' ids equal the rule "sentencepiece ids of each piece,
                      a leading space or U+2581 dropped first" (the script checks the rule itself, so a change in
                      transformers shows).
                  Only for the byte-fallback model: transformers' BPE has no unknown token and silently
                  drops characters outside the vocabulary, so the model without byte fallback (whose
                  unknown pieces the script checks against sentencepiece) is not compared with it.

usage: sentencepiece_oracle.py --dump PATH --train PATH --corpus adversarial|news|wikitext|decode --workdir DIR
Needs GPTBENCH_DATA_DIR, the sentencepiece package, transformers and protobuf. Exit status 1 on any mismatch.
"""

import argparse
import json
import os
import pathlib
import random
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import tokenizer_oracle  # noqa: E402  (the GPT-2 oracle's adversarial strings and helpers)

MAX_REPORTED = 8
SPECIALS = ("<s>", "</s>", "<unk>")
SPACES = (" ", "\u2581")  # a piece starting with either gets no dummy prefix in transformers 5

SPM_ADVERSARIAL = [
    "<s>", "</s>", "<unk>", "<s></s>", "a<s>b", "a <s> b", "<s> Hello", "Hello</s>", "</s><s>", "<s", "s>", "</s",
    "<<s>>", "<</s>>", "<unk>x<unk>", "< s>", "<S>", "<pad>", "<0x41>", "<0xFF>", "[INST] hi [/INST]",
    "\u2581", "\u2581\u2581x", " \u2581 ", "x\u2581y", "\u2581<s>", " \u2047 ", "\u2047",
    " ", "  ", "   x", "x   ", " x ", "\t", "\t\tx", "x\t", "\n", "\n\n", "\r", "\r\n\r\n", " \n ", "\x0b\x0c",
    "a" * 3000, " " * 300, "\n" * 200, "1" * 200, "12 345 6789", "3.14", "1,000,000", "٣٤٥", "१२३",
    "\U0001F600" * 20, "\U0001F468\u200d\U0001F469\u200d\U0001F467", "\u4e2d\u6587\u6d4b\u8bd5", "\uff21\uff42\uff43",
    "\ufb01", "e\u0301", "\u00e9", "\ufeff", "\u200b", "\u3000x\u3000", "\U0010ffff", "\x00", "NUL\x00byte",
]


def fail(message):
    print(f"sentencepiece_oracle: FAIL: {message}", flush=True)
    sys.exit(1)


def run(cmd):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    sys.stdout.write(proc.stderr)
    if proc.returncode != 0:
        fail(f"{' '.join(str(c) for c in cmd)} exited with {proc.returncode}")


def train(tool, folder, *flags):
    if not (folder / "tokenizer.model").is_file():
        run([tool, "--out", folder, "--vocab-size", "1000", *flags])
    return folder


def dump(tool, folder, out, *args):
    run([tool, "--tokenizer", folder, "--out", out, *args])
    with open(out, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def hf_tokenizer(model_dir, work):
    """transformers' LlamaTokenizer of model_dir/tokenizer.model (see the module docstring)."""
    import shutil

    import sentencepiece
    from transformers import LlamaTokenizer

    hf_dir = work / "transformers"
    hf_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(model_dir / "tokenizer.model", hf_dir / "tokenizer.model")
    with open(hf_dir / "tokenizer_config.json", "w") as f:
        json.dump({"tokenizer_class": "LlamaTokenizer", "add_bos_token": True, "add_eos_token": False,
                   "legacy": True}, f)
    hf = LlamaTokenizer.from_pretrained(str(hf_dir))
    sp = sentencepiece.SentencePieceProcessor(model_file=str(model_dir / "tokenizer.model"))
    # The oracle must be right before it judges: it agrees with sentencepiece on a plain text, adds BOS.
    probe = "Hello world, this is a test."
    if hf.encode(probe) != [sp.bos_id()] + sp.encode(probe):
        fail(f"oracle self-check: transformers encodes {probe!r} as {hf.encode(probe)}, "
             f"sentencepiece as BOS + {sp.encode(probe)}")
    return hf


def split_specials(text):
    """The text's pieces and special tokens, as kRecognize splits it (leftmost, longest first)."""
    out, start, pos = [], 0, 0
    while pos < len(text):
        hit = next((s for s in sorted(SPECIALS, key=len, reverse=True) if text.startswith(s, pos)), None)
        if hit is None:
            pos += 1
            continue
        if pos > start:
            out.append(text[start:pos])
        out.append(hit)
        pos = start = pos + len(hit)
    if start < len(text):
        out.append(text[start:])
    return out


class Compare:
    def __init__(self, label):
        self.label, self.mismatches, self.checks = label, 0, {}

    def check(self, what, source, ours, ref):
        self.checks[what] = self.checks.get(what, 0) + 1
        if ours != ref:
            self.mismatches += 1
            if self.mismatches <= MAX_REPORTED:
                i = next((k for k, (a, b) in enumerate(zip(ours, ref)) if a != b), min(len(ours), len(ref)))
                print(f"MISMATCH {self.label} {source} [{what}] at {i}: ours {ours[max(0, i - 2):i + 4]} "
                      f"vs {ref[max(0, i - 2):i + 4]} (lengths {len(ours)}, {len(ref)})")

    def summary(self):
        checks = ", ".join(f"{k} {v}" for k, v in self.checks.items())
        print(f"sentencepiece_oracle {self.label}: {checks}; {self.mismatches} mismatches", flush=True)
        return self.mismatches


def compare_texts(label, records, sp, hf):
    c = Compare(label)
    leading_space = 0
    for rec in records:
        data = tokenizer_oracle.record_data(rec)
        src = rec["source"]
        c.check("sentencepiece ids", src, rec["ids_as_text"], sp.encode(data))
        c.check("sentencepiece decode", src, bytes.fromhex(rec["decoded_hex"]),
                sp.decode(rec["ids_as_text"]).encode("utf-8"))
        if hf is None or not isinstance(data, str):
            continue  # transformers takes only str
        parts = split_specials(data)
        got = hf.encode(data, add_special_tokens=False)
        if any(p.startswith(SPACES) for p in parts if p not in SPECIALS):
            leading_space += 1
            rule = []
            for p in parts:
                if p in SPECIALS:
                    rule.append(sp.piece_to_id(p))
                elif p.startswith(SPACES):
                    rule.extend(sp.encode(p[1:]) if len(p) > 1 else [sp.piece_to_id("\u2581")])
                else:
                    rule.extend(sp.encode(p))
            c.check("transformers ids vs its leading-space rule", src, got, rule)
        else:
            c.check("transformers ids", src, rec["ids"], got)
            c.check("transformers prompt ids", src, rec["prompt_ids"], hf.encode(data))
    print(f"sentencepiece_oracle {label}: {len(records)} texts ({sum('hex' in r for r in records)} not valid UTF-8, "
          f"{leading_space} with a piece that starts with a space)")
    return c.summary()


def compare_decodings(label, records, sp):
    c = Compare(label)
    for n, rec in enumerate(records):
        ids = rec["ids"]
        c.check("sentencepiece decode", f"sequence {n}", bytes.fromhex(rec["decoded_hex"]), sp.decode(ids).encode("utf-8"))
        # decode_token: the piece with U+2581 as a space, a byte piece's byte, nothing for control ids.
        expected = []
        for i in ids:
            piece = sp.id_to_piece(i)
            if sp.is_control(i):
                expected.append(b"")
            elif sp.is_byte(i):
                expected.append(bytes([int(piece[3:5], 16)]))
            elif sp.is_unknown(i):
                expected.append(sp.decode([i]).encode("utf-8"))
            else:
                expected.append(piece.replace("\u2581", " ").encode("utf-8"))
        c.check("decode_token", f"sequence {n}", [bytes.fromhex(h) for h in rec["tokens_hex"]], expected)
    print(f"sentencepiece_oracle {label}: {len(records)} id sequences")
    return c.summary()


def random_id_sequences(sp, seed=20261203, count=2000):
    """Uniform ids, byte pieces alone (invalid UTF-8 runs), and control/unknown ids mixed in."""
    rng = random.Random(seed)
    n = sp.get_piece_size()
    byte_ids = [i for i in range(n) if sp.is_byte(i)]
    special = [i for i in range(n) if sp.is_control(i) or sp.is_unknown(i)]
    out = [[]]
    for k in range(count):
        length = rng.randrange(1, 40)
        pool = (range(n), byte_ids or range(n), special + byte_ids + list(range(n)))[k % 3]
        out.append([rng.choice(pool) for _ in range(length)])
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dump", required=True, help="path of the tokenizer_dump executable")
    parser.add_argument("--train", required=True, help="path of the sentencepiece_train_tool executable")
    parser.add_argument("--corpus", required=True, choices=["adversarial", "news", "wikitext", "decode"])
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()
    data = pathlib.Path(os.environ.get("GPTBENCH_DATA_DIR", ""))
    if not (data / "news_summary" / "news_summary.csv").is_file():
        fail(f"GPTBENCH_DATA_DIR ({str(data)!r}) has no news_summary/news_summary.csv")
    work = pathlib.Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)

    import sentencepiece
    import transformers
    print(f"sentencepiece_oracle: sentencepiece {sentencepiece.__version__}, transformers {transformers.__version__}",
          flush=True)
    models = {"bytes": train(args.train, work / "bytes")}
    if args.corpus in ("adversarial", "decode"):
        models["unk"] = train(args.train, work / "unk", "--no-byte-fallback", "--character-coverage", "0.98")

    mismatches = 0
    for name, folder in models.items():
        sp = sentencepiece.SentencePieceProcessor(model_file=str(folder / "tokenizer.model"))
        label = f"{args.corpus} ({name} model)"
        if args.corpus == "decode":
            seqs = random_id_sequences(sp)
            with open(work / f"ids_{name}.jsonl", "w") as f:
                f.writelines(json.dumps({"ids": s}) + "\n" for s in seqs)
            records = dump(args.dump, folder, work / f"decoded_{name}.jsonl", "--decode-ids", work / f"ids_{name}.jsonl")
            if len(records) != len(seqs):
                fail(f"tokenizer_dump wrote {len(records)} records for {len(seqs)} sequences")
            mismatches += compare_decodings(label, records, sp)
            continue
        hf = hf_tokenizer(folder, work / name) if name == "bytes" else None
        if args.corpus == "adversarial":
            items = tokenizer_oracle.adversarial_items() + SPM_ADVERSARIAL
            tokenizer_oracle.write_jsonl(work / "input.jsonl", items)
            record_sets = [dump(args.dump, folder, work / f"dump_{name}.jsonl", "--jsonl", work / "input.jsonl")]
            if len(record_sets[0]) != len(items):
                fail(f"tokenizer_dump wrote {len(record_sets[0])} records for {len(items)} texts")
        elif args.corpus == "news":
            csv_path = data / "news_summary" / "news_summary.csv"
            record_sets = [dump(args.dump, folder, work / "news_decoded.jsonl", "--csv", csv_path),
                           dump(args.dump, folder, work / "news_raw.jsonl", "--csv", csv_path, "--raw")]
        else:
            wiki = data / "wikitext2_raw" / "wiki.test.raw"
            record_sets = [dump(args.dump, folder, work / "wiki_lines.jsonl", "--lines", wiki),
                           dump(args.dump, folder, work / "wiki_whole.jsonl", "--whole", wiki)]
        for records in record_sets:
            mismatches += compare_texts(label, records, sp, hf)

    if mismatches:
        fail(f"{mismatches} mismatches")
    print(f"sentencepiece_oracle {args.corpus}: PASS")


if __name__ == "__main__":
    main()
