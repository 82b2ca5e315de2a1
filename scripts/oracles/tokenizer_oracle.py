#!/usr/bin/env python3
"""Oracle for gptbench's GPT-2 tokenizer (src/text).

The C++ tool tokenizer_dump encodes a corpus and writes one JSON line per text with its ids in
both special-token modes; this script re-encodes exactly those strings with tiktoken, built
offline from the same encoder.json + vocab.bpe with GPT-2's pattern, and compares every id.

Texts that are not valid UTF-8 (tiktoken's public API takes only str) are checked against an
independent implementation of gptbench's documented rule: every byte that is not part of a valid
UTF-8 character is a one-byte character of class "other". Here that is Python's surrogateescape
decoding (one lone surrogate per invalid byte, which \\p{L}, \\p{N} and \\s never match), the
`regex` module's split with the same pattern, and tiktoken's BPE of each piece's bytes.

usage: tokenizer_oracle.py --dump PATH/tokenizer_dump --corpus NAME --workdir DIR
corpora: adversarial, random, news, wikitext, codepoints (see CORPORA below)
Needs GPTBENCH_DATA_DIR (the shared data folder). Exit status 1 on any mismatch.
"""

import argparse
import codecs
import csv
import io
import json
import os
import pathlib
import random
import subprocess
import sys
import unicodedata

import regex
import tiktoken
import tiktoken.load

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
EOT = "<|endoftext|>"
EOT_ID = 50256
MAX_REPORTED = 8


def fail(message):
    print(f"tokenizer_oracle: FAIL: {message}", flush=True)
    sys.exit(1)


def data_dir():
    d = os.environ.get("GPTBENCH_DATA_DIR")
    if not d or not pathlib.Path(d).is_dir():
        fail(f"GPTBENCH_DATA_DIR is not set or not a folder ({d!r}); the oracle needs the shared data")
    return pathlib.Path(d)


def build_oracle(tok_dir):
    ranks = tiktoken.load.data_gym_to_mergeable_bpe_ranks(
        vocab_bpe_file=str(tok_dir / "vocab.bpe"), encoder_json_file=str(tok_dir / "encoder.json"))
    enc = tiktoken.Encoding(name="gpt2-offline", pat_str=GPT2_PATTERN, mergeable_ranks=ranks,
                            special_tokens={EOT: EOT_ID}, explicit_n_vocab=EOT_ID + 1)
    # The oracle itself must be right before it judges anything: GPT-2's published ids.
    got = enc.encode("Hello world")
    if got != [15496, 995]:
        fail(f"the oracle encodes 'Hello world' as {got}, expected [15496, 995]")
    return enc


class Oracle:
    def __init__(self, enc):
        self.enc = enc
        self.splitter = regex.compile(GPT2_PATTERN)

    def encode(self, text, recognize_special):
        """Reference ids for a str (tiktoken's own pre-tokenizer and BPE)."""
        if recognize_special:
            return self.enc.encode(text, allowed_special="all")
        return self.enc.encode(text, disallowed_special=())

    def encode_bytes(self, data, recognize_special):
        """Reference ids for any bytes under gptbench's rule for invalid UTF-8."""
        segments = data.split(EOT.encode()) if recognize_special else [data]
        ids = []
        for i, segment in enumerate(segments):
            if i > 0:
                ids.append(EOT_ID)
            text = segment.decode("utf-8", "surrogateescape")
            for piece in self.splitter.findall(text):
                ids.extend(self.enc._encode_single_piece(piece.encode("utf-8", "surrogateescape")))
        return ids


def run_dump(dump, tok_dir, out, args):
    cmd = [dump, "--tokenizer", str(tok_dir), "--out", str(out), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    sys.stdout.write(proc.stderr)
    if proc.returncode != 0:
        fail(f"{' '.join(cmd)} exited with {proc.returncode}")
    with open(out, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def record_data(rec):
    return rec["text"] if "text" in rec else bytes.fromhex(rec["hex"])


def describe_diff(enc, ours, ref):
    i = next((k for k, (a, b) in enumerate(zip(ours, ref)) if a != b), min(len(ours), len(ref)))
    show = lambda ids: [enc.decode_single_token_bytes(t) for t in ids[max(0, i - 2): i + 4]]
    return (f"first difference at index {i} (ours {len(ours)} ids, oracle {len(ref)}): "
            f"ours {ours[max(0, i - 2): i + 4]} {show(ours)} vs oracle {ref[max(0, i - 2): i + 4]} {show(ref)}")


def compare(oracle, records, label):
    mismatches = 0
    tokens = 0
    for rec in records:
        data = record_data(rec)
        for key, recognize in (("ids", True), ("ids_as_text", False)):
            ours = rec[key]
            ref = oracle.encode(data, recognize) if isinstance(data, str) else oracle.encode_bytes(data, recognize)
            tokens += len(ref)
            if ours != ref:
                mismatches += 1
                if mismatches <= MAX_REPORTED:
                    print(f"MISMATCH {label} {rec['source']} [{key}]: {data[:100]!r}\n  "
                          f"{describe_diff(oracle.enc, ours, ref)}")
    invalid = sum(1 for rec in records if "hex" in rec)
    print(f"tokenizer_oracle {label}: {len(records)} texts ({invalid} not valid UTF-8), {tokens} reference tokens, "
          f"{mismatches} mismatches", flush=True)
    return mismatches


def write_jsonl(path, items):
    with open(path, "w", encoding="utf-8") as f:
        for i, item in enumerate(items):
            rec = {"source": f"case {i}"}
            if isinstance(item, bytes):
                rec["hex"] = item.hex()
            else:
                rec["text"] = item
            f.write(json.dumps(rec, ensure_ascii=True) + "\n")


# ---------------------------------------------------------------------------------------------
# Corpora

ADVERSARIAL = [
    "Hello world", "", " ", "  ", "\n", "\n\n\n", "\t", "\r\n", "a\r\nb", "a \r\n b", "a\r\n\r\nb",
    "Hello  world", "Hello   world  ", "   leading", "trailing   ", "tabs\t\tand  spaces \t mixed",
    "line1\nline2\n\nline4\n", "\n \n \n", " \n", "\n ", "x \n\n y", "x \t y", " \t\n x",
    # Unicode spaces: NBSP and friends are \s; ZWSP, BOM and U+001C..U+001F are not.
    "x\u00a0y", "x \u00a0 y", "\u00a0\u00a0a", "a\u00a0\u00a0", "\u3000\u3000全角スペース", "a\u2028b\u2029c",
    "a\u0085b", "a\x0b\x0cb", "a\x1c\x1d\x1e\x1fb", "\u200b zero\u200bwidth", "\ufeffBOM", "a\u2009b\u202fc\u205fd\u1680e",
    "word\u2003\u2003word", " \u00a0x", "\u00a0 x",
    # Contractions: lowercase only, ASCII apostrophe only.
    "don't", "I'm", "we'll", "they've", "you're", "he'd", "it's", "DON'T", "I'M", "WE'LL", "It'S", "'s", "'S",
    "''s", "'''", "rock'n'roll", "o'clock", "don\u2019t", "it\u2019s", "\u2018quoted\u2019", "\u201cdouble\u201d",
    "' s", " 's", "x'sy", "'ll've're'd'm't", "'", "'l", "'v", "'r", "'llama", "'rest", "'vex", "hello'", "!'s",
    # Numbers, including non-ASCII digits and numeric symbols.
    "1234567890", "3.14159", "12,345,678", "1e10", "0x1F", "1" * 61, "٠١٢٣٤٥٦٧٨٩", "१२३४", "١٢٣abc", "½ ¾ ²³",
    "Ⅻ Ⅳ", "①②③", "𝟙𝟚𝟛", "abc123def", " 2024-01-01", "$1,000.00", "10%", "x²+y²",
    # Long runs (the heap path of BPE above 128 bytes).
    "x" * 500, "1" * 300, "!" * 200, " " * 100 + "x", "\n" * 50, "ab" * 300, "hello" * 100, "😀" * 60,
    "Supercalifragilisticexpialidocious" * 8, "a" + " " * 129 + "b",
    # Emoji, including ZWJ sequences, skin tones, flags and variation selectors.
    "😀", "I ❤️ NY", "👨‍👩‍👧‍👦 family", "🏳️‍🌈", "👍🏽", "🇫🇷🇩🇪", "🧑🏿‍🚀 astronaut", "emoji😀at😀end😀", " 😀 ", "1😀2",
    # Scripts: CJK, Hangul, Greek, Cyrillic, Hebrew, Arabic, Devanagari, Tamil, Thai; combining marks.
    "中文测试，你好世界。", "日本語のテキストです", "한국어 텍스트", "Ελληνικά κείμενα", "Русский текст", "עברית",
    "مرحبا بالعالم", "نص عربي مع تشكيل: بِسْمِ", "नमस्ते दुनिया", "हिन्दी में पाठ।", "தமிழ் உரை", "ภาษาไทย",
    "e\u0301 combining", "cafe\u0301", "a\u0308\u0304", "\u0915\u094d\u0937", " \u0301x", "\u0301\u0302",
    "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f A\u0334\u0335\u031c L\u0320",
    # The special token, whole and partial.
    EOT, f"a{EOT}b", EOT + EOT, f" {EOT} ", f"text{EOT}", "<|endoftext|", f"{EOT}>", f"<{EOT}",
    f"<|endofte{EOT}xt|>", f"Hello{EOT}\n\nWorld", f"{EOT} The", f"don{EOT}'t",
    # Miscellany.
    "C++ & C#", "https://example.com/path?q=1&r=2#frag", "user@example.com", "<html><body>hi</body></html>",
    '{"json": [1, 2, 3]}', "def f(x):\n    return x ** 2\n", "    indented code", "\\backslash\\", "NUL\x00byte",
    "\x01\x02\x03\x7f", "Ünïcödé", "ﬁ ligature", "ℌ𝔢𝔩𝔩𝔬", "Ａｂｃ fullwidth", "\U0010ffff", "\U000e0001\U000e0041",
    "\ud7ff\ue000\uf8ff", "...", "?!?!", "--", " -- ", "a.b.c", "Mr. O'Neil's", "São João", "naïve café",
]

# Invalid UTF-8: stray Latin-1 bytes, truncated and overlong sequences, surrogates, > U+10FFFF.
ADVERSARIAL_BYTES = [
    b"\xff", b"\xfe\xff", b"caf\xe9", b"S\xe3o Jo\xe3o", b"\xe2\x80", b"\xe2\x80abc", b"\xe2??s territory",
    b"\xc0\x80", b"\xc1\xbf", b"\xed\xa0\x80", b"\xed\xbf\xbf x", b"\xf4\x90\x80\x80", b"\xf8\x88\x80\x80\x80",
    b"\x80\x80\x80", b"abc\xf0\x9f\x98", b"\xf0\x9f\x98 \xf0\x9f\x98\x80", b"a\xa0b", b"\xa0\xa0 x", b" \xff",
    b"'\xff", b"\xff's", b"1\xff2", b"\xff\xfe<|endoftext|>\xfd", b"\xc3\x28", b"\xe0\x80\xaf", b"\xe0\x9f\x80",
    b"  \xa0", b"\n\xa0\n", b"x \x85 y", b"\xc2", b"word\xe9word", b"\xe9" * 200, b"\x92s", b"don\x92t",
    b"\xf5\xf6\xf7", b"\xfe\xfe  \xfe", b"\xef\xbb", b"\xef\xbb\xbfBOM",
]


def adversarial_items():
    return ADVERSARIAL + ADVERSARIAL_BYTES


def random_items(seed=20240607, count=3000):
    """Random mixes of tricky atoms and random code points; 30% get invalid bytes inserted. Those
    are judged by the `regex`-module reference, whose Unicode version may be newer than tiktoken's,
    so they take no code point that Python's unicodedata does not know (a later addition)."""
    rng = random.Random(seed)
    atoms = (list("abcXYZ019 '\n\t.,!?-") + ["s", "t", "ll", "ve", "re", "'s", "  ", "\r\n", "\u00a0", "\u3000",
             "\u2019", "é", "ß", "中", "日本", "😀", "👨‍👩‍👧", "\u0301", "٣", "१", "½", "Ⅻ", "\u200b", "\x1c",
             "\x85", EOT, "<|", "|>", "\ufeff", "Ω", "ſ"])

    def random_char():
        while True:
            cp = rng.choice([rng.randrange(0x80, 0x800), rng.randrange(0x800, 0x10000), rng.randrange(0x10000, 0x110000)])
            if not 0xD800 <= cp <= 0xDFFF:
                return chr(cp)

    items = []
    for _ in range(count):
        parts = [rng.choice(atoms) if rng.random() < 0.8 else random_char() for _ in range(rng.randrange(0, 40))]
        text = "".join(parts)
        if rng.random() < 0.3 and all(unicodedata.category(ch) != "Cn" or not NEWER_CLASSES.match(ch) for ch in text):
            data = bytearray(text.encode())
            for _ in range(rng.randrange(1, 4)):
                data.insert(rng.randrange(0, len(data) + 1), rng.randrange(0x80, 0x100))
            items.append(bytes(data))
        else:
            items.append(text)
    return items


# Letters, numbers and spaces per the `regex` module, whose Unicode may be newer than unicodedata's.
NEWER_CLASSES = regex.compile(r"[\p{L}\p{N}\s]")


def codepoint_items():
    """Every BMP code point, and every assigned or newly classified one above it, in contexts
    that join it to letters, digits, punctuation and spaces; 32 code points per text."""
    newer = NEWER_CLASSES
    cps = []
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        if cp < 0x10000 or unicodedata.category(c) not in ("Cn", "Co") or newer.match(c):
            cps.append(c)
    items = []
    for i in range(0, len(cps), 32):
        # "X's" tells letters, numbers and spaces (then "'s" is a contraction) from "other" (then
        # "X'" is one run); "!X" and " X" join X to punctuation or a space when X is "other".
        items.append("".join(f"{c}'s!{c}a{c}1{c} {c}\n{c}{c}x{c}  " for c in cps[i:i + 32]))
    return items


def check_news_fields(csv_path, raw_records, decoded_records):
    """Our CSV reader against Python's csv module, and our decoding against a Python rendering
    of the documented rule (valid UTF-8 kept, each other byte read as WHATWG windows-1252)."""
    raw = csv_path.read_bytes()
    rows = [r for r in csv.reader(io.StringIO(raw.decode("latin-1"), newline="")) if r]
    fields = [f.encode("latin-1") for r in rows[1:] for f in r]
    ours = [record_data(rec) for rec in raw_records]
    ours = [x.encode() if isinstance(x, str) else x for x in ours]
    if len(fields) != len(ours):
        fail(f"CSV: Python's csv module reads {len(fields)} fields, ours {len(ours)}")
    bad = [i for i, (a, b) in enumerate(zip(fields, ours)) if a != b]
    if bad:
        fail(f"CSV: {len(bad)} fields differ from Python's csv module, first {raw_records[bad[0]]['source']}")

    undefined = {0x81, 0x8D, 0x8F, 0x90, 0x9D}  # WHATWG keeps these as the C1 controls

    def cp1252_handler(err):
        chunk = err.object[err.start:err.end]
        return "".join(chr(b) if b in undefined else bytes([b]).decode("cp1252") for b in chunk), err.end

    codecs.register_error("gptbench_cp1252", cp1252_handler)
    expected = [f.decode("utf-8", "gptbench_cp1252") for f in fields]
    got = [rec["text"] for rec in decoded_records]
    bad = [i for i, (a, b) in enumerate(zip(expected, got)) if a != b]
    if bad:
        fail(f"decoding: {len(bad)} fields differ from the Python rendering, first {decoded_records[bad[0]]['source']}: "
             f"{expected[bad[0]][:80]!r} vs {got[bad[0]][:80]!r}")
    print(f"tokenizer_oracle news: {len(fields)} CSV fields equal Python's csv module; decoded text equals the "
          f"Python rendering of the rule", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dump", required=True, help="path of the tokenizer_dump executable")
    parser.add_argument("--corpus", required=True, choices=["adversarial", "random", "news", "wikitext", "codepoints"])
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()

    data = data_dir()
    tok_dir = data / "gpt2_tokenizer"
    for name in ("encoder.json", "vocab.bpe"):
        if not (tok_dir / name).is_file():
            fail(f"missing {tok_dir / name}")
    work = pathlib.Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    oracle = Oracle(build_oracle(tok_dir))
    print(f"tokenizer_oracle: tiktoken {tiktoken.__version__}, regex {regex.__version__}, "
          f"Python unicodedata {unicodedata.unidata_version}", flush=True)

    mismatches = 0
    if args.corpus in ("adversarial", "random", "codepoints"):
        items = {"adversarial": adversarial_items, "random": random_items, "codepoints": codepoint_items}[args.corpus]()
        write_jsonl(work / "input.jsonl", items)
        records = run_dump(args.dump, tok_dir, work / "dump.jsonl", ["--jsonl", str(work / "input.jsonl")])
        if len(records) != len(items):
            fail(f"tokenizer_dump wrote {len(records)} records for {len(items)} texts")
        mismatches += compare(oracle, records, args.corpus)
        if args.corpus == "adversarial":
            # The invalid-UTF-8 reference must agree with tiktoken wherever both apply.
            for item in ADVERSARIAL:
                for recognize in (True, False):
                    if oracle.encode_bytes(item.encode(), recognize) != oracle.encode(item, recognize):
                        fail(f"oracle self-check: the bytes rule disagrees with tiktoken on {item[:60]!r}")
            print("tokenizer_oracle adversarial: the invalid-UTF-8 reference agrees with tiktoken on all valid cases")
    elif args.corpus == "news":
        csv_path = data / "news_summary" / "news_summary.csv"
        decoded = run_dump(args.dump, tok_dir, work / "news_decoded.jsonl", ["--csv", str(csv_path)])
        raw = run_dump(args.dump, tok_dir, work / "news_raw.jsonl", ["--csv", str(csv_path), "--raw"])
        check_news_fields(csv_path, raw, decoded)
        mismatches += compare(oracle, decoded, "news (decoded UTF-8)")
        mismatches += compare(oracle, raw, "news (raw bytes)")
    elif args.corpus == "wikitext":
        wiki = data / "wikitext2_raw" / "wiki.test.raw"
        lines = run_dump(args.dump, tok_dir, work / "wiki_lines.jsonl", ["--lines", str(wiki)])
        mismatches += compare(oracle, lines, "wikitext (lines)")
        whole = run_dump(args.dump, tok_dir, work / "wiki_whole.jsonl", ["--whole", str(wiki)])
        mismatches += compare(oracle, whole, "wikitext (whole file)")

    if mismatches:
        fail(f"{mismatches} mismatching encodings")
    print(f"tokenizer_oracle {args.corpus}: PASS")


if __name__ == "__main__":
    main()
