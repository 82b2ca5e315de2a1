#!/usr/bin/env python3
"""Oracle for `gptbench score`: its ROUGE must equal rouge-score 0.1.2 and its BLEU sacreBLEU
2.6.0 to within 1e-6, on every per-sample figure and every aggregate.

The pairs (a few thousand, fixed seed) mix synthetic text built to hit the tokenizers' edge
cases (Unicode, punctuation, numbers, HTML entities, empty strings, repeated words, newlines,
texts of several thousand words) with real sentences from the shared data (news_summary.csv
`text`, decoded leniently, and CNN/DailyMail test abstracts and highlights), shuffled into
mismatched pairs plus perturbed copies so that scores cover the whole range.

Runs, all through the binary named by --bin or $GPTBENCH_BIN:
  1. all pairs as JSONL (strings and {"text": ...} objects), stemmer on, per-sample figures;
  2. the same pairs minus the long ones with --no-stemmer;
  3. the single-line pairs as plain text files;
  4. the human table: its BLEU line must equal sacreBLEU's own summary line.
Exits non-zero on any mismatch. Needs $GPTBENCH_DATA_DIR (fails, never skips, without it).
"""
import argparse
import csv
import io
import json
import logging
import lzma
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sacrebleu
from rouge_score import rouge_scorer
from sacrebleu.metrics import BLEU

# sacreBLEU warns about the many CNN lines ending in " ." (they are PTB-tokenized on purpose).
logging.getLogger("sacrebleu").setLevel(logging.ERROR)

ROUGE_TYPES = ["rouge1", "rouge2", "rougeL", "rougeLsum"]
FIELDS = ["precision", "recall", "fmeasure"]

WORDS = (
    "the a an of to in and is was for on that with by as at from it he she they we said would "
    "could has have had been be were are not but or which who will more after two new first "
    "year years people government police president state minister court company report told "
    "running runs runner ran generalization generalizations happiness happily connection "
    "connected connecting relational conditional rational hopeful goodness electricity "
    "skies dying lying tying news innings outings cannings howe proceed exceed succeed "
    "agreed feed plastered motoring sing hopping falling filing happy sky enjoy spied died "
    "formalize triplicate sensibility adjustment irritant replacement adoption communism "
    "activate angularity homologous effective bowdlerize probate rate cease controlling roll "
    "syzygy yyyy toy studies studying flies flying analogousli vietnamization operator "
    "feudalism decisiveness hopefulness callousness formality sensitivity archaeology geology"
).split()
PUNCT_TOKENS = [
    ".", ",", "!", "?", ";", ":", "'", "\"", "(", ")", "[", "]", "{", "}", "-", "--", "...",
    "3.14", "1,000", "1,000,000.50", "5-3", "-7", "7-", "a.b", "..", ",,", "$5", "50%", "(a)",
    "U.S.", "e-mail", "'s", "don't", "&quot;", "&amp;", "&lt;", "&gt;", "&amp;quot;", "<skipped>",
    "-\n", "<s>", "</s>", "@", "#tag", "a/b", "x=y", "~", "`", "^", "_", "|", "\\", "2017.",
    ",5", ".5", "5.", "a,", ",a", "1.a", "a.1",
]
UNICODE_TOKENS = [
    "İstanbul", "İ", "\u212aelvin", "\u212a", "\u212b", "café", "naïve", "Straße", "ǅ", "ΣΑΣ",
    "中文", "かな", "עברית", "العربية", "😀", "👍🏽", "\ufffd", "ＡＢＣ", "１２３", "Ⅻ", "٣", "३",
    "e\u0301", "\u200b", "x\u200by", "₹53,000", "£5", "–", "—", "“quote”", "‘s", "…", "\u00ad",
]
UNICODE_SPACES = ["\u00a0", "\u1680", "\u2000", "\u2005", "\u200a", "\u2028", "\u2029",
                  "\u202f", "\u205f", "\u3000", "\u0085", "\x1c", "\x1d", "\x1e", "\x1f",
                  "\x0b", "\x0c", "\t", "\r"]
EMPTYISH = ["", " ", "\n", "\n\n", "  \n ", "\u3000", "...", "!!!", "\t", "\r\n", "-", "<skipped>"]


def fail(message):
    print(f"score_oracle: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


# ---------------------------------------------------------------- data

def load_news_summary(data_dir):
    path = data_dir / "news_summary" / "news_summary.csv"
    if not path.is_file():
        fail(f"missing {path} (set GPTBENCH_DATA_DIR to the shared data folder)")
    raw = path.read_bytes()
    texts = []
    # The file mixes CP1252/Latin-1 and UTF-8: decode it both ways leniently, for variety
    # (NBSP survives as U+00A0 in the Latin-1 reading, becomes U+FFFD in the UTF-8 one).
    for decoded in (raw.decode("utf-8", errors="replace"), raw.decode("latin-1")):
        rows = csv.DictReader(io.StringIO(decoded, newline=""))
        texts.append([row["text"] for row in rows if row["text"]])
    return texts[0], texts[1]


def load_cnn(data_dir):
    path = data_dir / "cnn_dailymail" / "see2017_tok_lower" / "test.partial.jsonl.xz"
    if not path.is_file():
        fail(f"missing {path} (set GPTBENCH_DATA_DIR to the shared data folder)")
    abstracts, highlights, articles = [], [], []
    with lzma.open(path, "rt", encoding="utf-8") as f:  # decompressed in memory only
        for line in f:
            row = json.loads(line)
            abstracts.append(row["abstract"])
            highlights.append(row["highlights"])
            articles.append(row["article"])
    return abstracts, highlights, articles


# ---------------------------------------------------------------- pair generation

def perturb(rng, text):
    """A partly overlapping copy: words dropped, swapped, replaced, recased; lines kept."""
    lines = []
    for line in text.split("\n"):
        words = line.split(" ")
        out = []
        for w in words:
            r = rng.random()
            if r < 0.15:
                continue
            if r < 0.25:
                w = rng.choice(WORDS)
            elif r < 0.30:
                w = w.upper()
            out.append(w)
        for i in range(len(out) - 1):
            if rng.random() < 0.08:
                out[i], out[i + 1] = out[i + 1], out[i]
        lines.append(" ".join(out))
    return "\n".join(lines)


def synthetic(rng, pools, n_min, n_max):
    n = rng.randint(n_min, n_max)
    seps = [" "] * 12 + ["  ", "\n", "\t"]
    out = []
    for _ in range(n):
        out.append(rng.choice(rng.choice(pools)))
        out.append(rng.choice(seps))
    return "".join(out).strip(" ") if rng.random() < 0.7 else "".join(out)


def build_pairs(rng, data_dir):
    news_utf8, news_latin1 = load_news_summary(data_dir)
    abstracts, highlights, articles = load_cnn(data_dir)
    pairs = []  # (prediction, reference, kind)

    def add(kind, pred, ref):
        pairs.append((pred, ref, kind))

    for _ in range(500):  # word soup, half of them related
        ref = synthetic(rng, [WORDS], 0, 60)
        pred = perturb(rng, ref) if rng.random() < 0.5 else synthetic(rng, [WORDS], 0, 60)
        add("words", pred, ref)
    for _ in range(300):
        pools = [WORDS, UNICODE_TOKENS, UNICODE_SPACES]
        ref = synthetic(rng, pools, 0, 40)
        pred = perturb(rng, ref) if rng.random() < 0.5 else synthetic(rng, pools, 0, 40)
        add("unicode", pred, ref)
    for _ in range(300):
        pools = [WORDS, PUNCT_TOKENS]
        ref = synthetic(rng, pools, 0, 40)
        pred = perturb(rng, ref) if rng.random() < 0.5 else synthetic(rng, pools, 0, 40)
        add("punct", pred, ref)
    for a in EMPTYISH:  # every empty-ish text against every other and a real one
        for b in EMPTYISH + ["the cat sat on the mat .", rng.choice(abstracts)]:
            add("empty", a, b)
            add("empty", b, a)
    for _ in range(200):  # a handful of words repeated: clipping and LCS ties
        vocab = rng.sample(WORDS, rng.randint(1, 4))
        ref = " ".join(rng.choice(vocab) for _ in range(rng.randint(1, 150)))
        pred = " ".join(rng.choice(vocab) for _ in range(rng.randint(1, 150)))
        if rng.random() < 0.3:
            pred = pred.replace(" ", "\n", rng.randint(1, 10))
        add("repeat", pred, ref)
    def sents():
        return [synthetic(rng, [WORDS, PUNCT_TOKENS[:20]], 1, 15)
                for _ in range(rng.randint(1, 6))]

    for _ in range(300):  # multi-sentence, newline separated (ROUGE-Lsum)
        joiner = rng.choice(["\n", "\n", "\n\n", "\r\n", " \n"])
        ref = joiner.join(sents())
        pred = perturb(rng, ref) if rng.random() < 0.5 else joiner.join(sents())
        if rng.random() < 0.2:
            pred += "\n"
        add("lines", pred, ref)

    idx = list(range(len(highlights)))
    for _ in range(300):  # real highlights, mismatched and perturbed
        i, j = rng.choice(idx), rng.choice(idx)
        add("cnn_highlights", highlights[i], highlights[j])
        add("cnn_highlights", perturb(rng, highlights[i]), highlights[i])
    for _ in range(350):
        i, j = rng.choice(idx), rng.choice(idx)
        add("cnn_abstract", abstracts[i], abstracts[j])
    for _ in range(150):
        i = rng.choice(idx)
        add("cnn_abstract", perturb(rng, abstracts[i]), abstracts[i])
    for news in (news_utf8, news_latin1):
        for _ in range(250):
            add("news", rng.choice(news), rng.choice(news))
        for _ in range(100):
            t = rng.choice(news)
            add("news", perturb(rng, t), t)

    # Several thousand words: rouge-score's pure-Python LCS makes these the slow part.
    def long_text(n_words, newline):
        words = []
        while len(words) < n_words:
            words.extend(rng.choice(articles).split(" "))
        text = " ".join(words[:n_words])
        return text.replace(" . ", " .\n") if newline else text

    base = long_text(3000, newline=False)
    add("long", perturb(rng, base), base)
    base = long_text(2500, newline=True)
    add("long", perturb(rng, base), base)
    add("long", long_text(4000, newline=False), rng.choice(abstracts))
    add("long", rng.choice(highlights), long_text(3000, newline=True))

    rng.shuffle(pairs)
    return pairs


# ---------------------------------------------------------------- references

def reference_scores(pairs, use_stemmer):
    scorer = rouge_scorer.RougeScorer(ROUGE_TYPES, use_stemmer=use_stemmer)
    per_sample = []
    for pred, ref, _ in pairs:
        s = scorer.score(ref, pred)
        sample = {t: {"precision": s[t].precision, "recall": s[t].recall,
                      "fmeasure": s[t].fmeasure} for t in ROUGE_TYPES}
        sample["sentence_bleu"] = sacrebleu.sentence_bleu(pred, [ref]).score
        per_sample.append(sample)
    n = len(pairs)
    out = {t: {f: sum(s[t][f] for s in per_sample) / n for f in FIELDS} for t in ROUGE_TYPES}
    out["sentence_bleu_mean"] = sum(s["sentence_bleu"] for s in per_sample) / n
    metric = BLEU()
    corpus = metric.corpus_score([p for p, _, _ in pairs], [[r for _, r, _ in pairs]])
    out["bleu"] = {"score": corpus.score, "precisions": corpus.precisions, "bp": corpus.bp,
                   "ratio": corpus.ratio, "hyp_len": corpus.sys_len, "ref_len": corpus.ref_len,
                   "counts": corpus.counts, "totals": corpus.totals,
                   "signature": metric.get_signature().format()}
    out["bleu_line"] = str(corpus)
    out["n_samples"] = n
    out["per_sample"] = per_sample
    return out


# ---------------------------------------------------------------- comparison

class Comparison:
    def __init__(self, tolerance):
        self.tolerance = tolerance
        self.errors = []
        self.checked = 0
        self.max_diff = 0.0

    def number(self, where, got, want):
        self.checked += 1
        if not isinstance(got, (int, float)) or isinstance(got, bool):
            self.errors.append(f"{where}: got {got!r}, want {want!r}")
            return
        diff = abs(got - want)
        self.max_diff = max(self.max_diff, diff)
        if not diff <= self.tolerance:
            self.errors.append(f"{where}: got {got!r}, want {want!r} (diff {diff:.3g})")

    def exact(self, where, got, want):
        self.checked += 1
        if got != want:
            self.errors.append(f"{where}: got {got!r}, want {want!r}")


def compare(cmp, label, got, want, pairs, per_sample):
    cmp.exact(f"{label} n_samples", got.get("n_samples"), want["n_samples"])
    for t in ROUGE_TYPES:
        for f in FIELDS:
            cmp.number(f"{label} mean {t}.{f}", got.get(t, {}).get(f), want[t][f])
    cmp.number(f"{label} sentence_bleu_mean", got.get("sentence_bleu_mean"), want["sentence_bleu_mean"])
    gb, wb = got.get("bleu", {}), want["bleu"]
    for key in ("score", "bp", "ratio"):
        cmp.number(f"{label} bleu.{key}", gb.get(key), wb[key])
    for n in range(4):
        cmp.number(f"{label} bleu.precisions[{n}]", (gb.get("precisions") or [None] * 4)[n], wb["precisions"][n])
    for key in ("hyp_len", "ref_len", "counts", "totals", "signature"):
        cmp.exact(f"{label} bleu.{key}", gb.get(key), wb[key])
    if not per_sample:
        return
    samples = got.get("per_sample")
    if not isinstance(samples, list) or len(samples) != len(pairs):
        cmp.errors.append(f"{label}: per_sample missing or of the wrong length")
        return
    for i, (g, w) in enumerate(zip(samples, want["per_sample"])):
        where = f"{label} sample {i + 1} ({pairs[i][2]})"
        for t in ROUGE_TYPES:
            for f in FIELDS:
                cmp.number(f"{where} {t}.{f}", g.get(t, {}).get(f), w[t][f])
        cmp.number(f"{where} sentence_bleu", g.get("sentence_bleu"), w["sentence_bleu"])


def write_jsonl(path, texts, rng):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for i, text in enumerate(texts):
            if rng.random() < 0.5:
                value = json.dumps(text, ensure_ascii=rng.random() < 0.5)
            else:
                value = json.dumps({"id": i, "text": text}, ensure_ascii=False)
            f.write(value + "\n")


def run_bin(binary, args):
    proc = subprocess.run([binary, "score", *args], capture_output=True)
    if proc.returncode != 0:
        fail(f"{binary} score {' '.join(args)} exited {proc.returncode}: "
             f"{proc.stderr.decode('utf-8', 'replace').strip()}")
    return proc.stdout.decode("utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default=os.environ.get("GPTBENCH_BIN"), help="gptbench binary")
    parser.add_argument("--data-dir", default=os.environ.get("GPTBENCH_DATA_DIR"))
    parser.add_argument("--seed", type=int, default=20240607)
    parser.add_argument("--tolerance", type=float, default=1e-6)
    args = parser.parse_args()
    if not args.bin or not Path(args.bin).is_file():
        fail(f"gptbench binary not found: {args.bin!r} (pass --bin or set GPTBENCH_BIN)")
    if not args.data_dir or not Path(args.data_dir).is_dir():
        fail(f"shared data folder not found: {args.data_dir!r} (set GPTBENCH_DATA_DIR)")

    rng = random.Random(args.seed)
    pairs = build_pairs(rng, Path(args.data_dir))
    kinds = {}
    for _, _, kind in pairs:
        kinds[kind] = kinds.get(kind, 0) + 1
    print(f"{len(pairs)} pairs: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))

    cmp = Comparison(args.tolerance)
    with tempfile.TemporaryDirectory(prefix="gptbench_score_oracle_") as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        want = reference_scores(pairs, use_stemmer=True)
        t1 = time.perf_counter()
        write_jsonl(tmp / "pred.jsonl", [p for p, _, _ in pairs], rng)
        write_jsonl(tmp / "ref.jsonl", [r for _, r, _ in pairs], rng)
        got = json.loads(run_bin(args.bin, ["--predictions", str(tmp / "pred.jsonl"), "--references",
                                            str(tmp / "ref.jsonl"), "--json", "--per-sample"]))
        t2 = time.perf_counter()
        print(f"references {t1 - t0:.1f}s, gptbench score {t2 - t1:.1f}s")
        compare(cmp, "jsonl", got, want, pairs, per_sample=True)

        short = [p for p in pairs if p[2] != "long"]
        want_plain = reference_scores(short, use_stemmer=False)
        write_jsonl(tmp / "pred_ns.jsonl", [p for p, _, _ in short], rng)
        write_jsonl(tmp / "ref_ns.jsonl", [r for _, r, _ in short], rng)
        got = json.loads(run_bin(args.bin, ["--predictions", str(tmp / "pred_ns.jsonl"), "--references",
                                            str(tmp / "ref_ns.jsonl"), "--json", "--per-sample",
                                            "--no-stemmer"]))
        compare(cmp, "no-stemmer", got, want_plain, short, per_sample=True)
        cmp.exact("no-stemmer rouge_stemmer", got.get("rouge_stemmer"), "none")

        # Plain text files: one text a line, so only texts without line breaks.
        single = [p for p in short if "\n" not in p[0] + p[1] and "\r" not in p[0] + p[1]]
        want_single = reference_scores(single, use_stemmer=True)
        (tmp / "pred.txt").write_bytes("".join(p + "\n" for p, _, _ in single).encode("utf-8"))
        (tmp / "ref.txt").write_bytes("".join(r + "\n" for _, r, _ in single).encode("utf-8"))
        txt_args = ["--predictions", str(tmp / "pred.txt"), "--references", str(tmp / "ref.txt")]
        got = json.loads(run_bin(args.bin, txt_args + ["--json", "--per-sample"]))
        compare(cmp, "plain", got, want_single, single, per_sample=True)

        table = run_bin(args.bin, txt_args)
        bleu_lines = [line for line in table.splitlines() if line.startswith("BLEU = ")]
        cmp.exact("table BLEU line", bleu_lines, [want_single["bleu_line"]])

    print(f"checked {cmp.checked} figures; max |diff| {cmp.max_diff:.3g} (tolerance {args.tolerance:g})")
    if cmp.errors:
        for e in cmp.errors[:30]:
            print("  " + e, file=sys.stderr)
        fail(f"{len(cmp.errors)} mismatches")
    print("score_oracle: OK")


if __name__ == "__main__":
    main()
