"""Expected values for the gptbench_eval unit tests, computed live by the reference libraries.

Usage: oracle_fixture.py MODE   (MODE: porter | rouge_tokens | tok13a | python_text | lcs)
Prints one JSON object on stdout; the GoogleTest units run this and compare the C++ with it.
Inputs are generated here with fixed seeds, so a run is deterministic for a given venv.
"""
import json
import random
import re
import sys
import sysconfig
from pathlib import Path

# Suffixes every Porter step looks at, plus NLTK's irregular forms, so that synthetic words
# reach each rule and each condition (true and false).
PORTER_SUFFIXES = [
    "sses", "ies", "ss", "s", "eed", "ed", "ing", "ied", "y", "at", "bl", "iz", "ational",
    "tional", "enci", "anci", "izer", "bli", "abli", "alli", "entli", "eli", "ousli", "ization",
    "ation", "ator", "alism", "iveness", "fulness", "ousness", "aliti", "iviti", "biliti",
    "fulli", "logi", "icate", "ative", "alize", "iciti", "ical", "ful", "ness", "al", "ance",
    "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "sion", "tion", "ion",
    "ou", "ism", "ate", "iti", "ous", "ive", "ize", "e", "ll", "le", "ings", "edly", "ingly",
    "ations", "ies", "ly", "",
]
IRREGULAR = ["sky", "skies", "dying", "lying", "tying", "news", "innings", "inning", "outings",
             "outing", "cannings", "canning", "howe", "proceed", "exceed", "succeed"]


def porter_words():
    """Real words (every distinct [a-z]+ run in the Python standard library's sources) and
    synthetic stem+suffix words, including digits and runs of 'y'."""
    words = set(IRREGULAR)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for path in sorted(stdlib.glob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace").lower()
        words.update(re.findall(r"[a-z]+", text))
    rng = random.Random(1234)
    letters = "abcdefghijklmnopqrstuvwxyz"
    weighted = letters + "aeiouy" * 3 + "lstz" * 2 + "0123456789"
    for _ in range(30000):
        stem = "".join(rng.choice(weighted) for _ in range(rng.randint(0, 7)))
        if rng.random() < 0.2:
            stem += rng.choice(["y", "yy", "yyy", "ll", "ss", "zz", "tt", "ee"])
        words.add(stem + rng.choice(PORTER_SUFFIXES))
    words.discard("")
    return sorted(words)


def mode_porter():
    from nltk.stem.porter import PorterStemmer
    stemmer = PorterStemmer()
    words = porter_words()
    return {"words": words, "stems": [stemmer.stem(w) for w in words]}


# Text edge cases shared by the ROUGE and 13a modes.
TEXT_CASES = [
    "", " ", "\n", "\n\n", "a", "The quick brown fox jumps over the lazy dog.",
    "İstanbul İİ xİy", "KELVIN \u212a \u212aelvin", "\u212b ngström", "ǅ ǈ ǋ", "Straße STRASSE",
    "ＡＢＣ ａｂｃ １２３", "naïve café résumé", "٣ ३ 3", "Ⅻ ⅻ", "ΣΑΣ σας", "I\u0307 i\u0307",
    "emoji 😀 in 👍🏽 text", "don't won't it's", "U.S.A. e-mail co-operate", "tab\there\nnew line",
    "running runs runner ran generalizations happiness", "yyyy syzygy toy enjoying",
    "1990s 3.14 1,000,000 50% $5.00 -7 5-3", "innings outings skies dying news",
    "a.b.c.d", "x..y,,z", ".leading", "trailing.", ",", "...", "a,b", "1.a a.1 1,a a,1",
    "3-4 a-b 3- -4 3--4", "&quot;quoted&quot; &amp; &lt;tag&gt; &amp;quot; &AMP;",
    "<skipped> a<skipped>b <skip<skipped>ped>", "hyphen-\nated line-\n", "line one\nline two",
    "trailing spaces   ", "trailing nbsp\u00a0", "trailing ideographic\u3000", "x\u200by zero width",
    "a\u00a0b\u1680c\u2000d\u2001e\u2002f\u2003g\u2004h\u2005i\u2006j\u2007k\u2008l\u2009m\u200an",
    "a\u2028b\u2029c\u202fd\u205fe\u3000f\u0085g\x1ch\x1di\x1ej\x1fk\x0bl\x0cm\rn",
    "é. é, 1. 1, .é ,é é.é 1.é é.1", "{}|~[]\\^_`!\"#$%&()*+:;<=>?@/", "'quoted'",
    "mixed CASE Words", "ALLCAPS SENTENCE HERE", "12abc abc12 a1b2c3", "\u0000nul\u0007bell",
    "replacement \ufffd char", "CJK 中文字符 and かな", "right-to-left עברית العربية",
]


def mode_rouge_tokens():
    from rouge_score import tokenize
    from nltk.stem.porter import PorterStemmer
    stemmer = PorterStemmer()
    return {"cases": [{"text": t,
                       "stemmed": tokenize.tokenize(t, stemmer),
                       "plain": tokenize.tokenize(t, None)} for t in TEXT_CASES]}


def mode_tok13a():
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a
    tok = Tokenizer13a()
    # BLEU._preprocess_segment: rstrip, then the tokenizer; the n-grams come from split().
    return {"cases": [{"text": t, "tokens": tok(t.rstrip()).split()} for t in TEXT_CASES]}


# Byte strings for the UTF-8 validity check: valid ones at the edges of each length class and
# everything a strict decoder refuses (overlong, surrogate, out of range, truncated, stray).
UTF8_BYTES = [
    "", "41", "7f", "c280", "dfbf", "e0a080", "efbfbf", "f0908080", "f48fbfbf", "eda080",
    "edbfbf", "ed9fbf", "ee8080", "c080", "c1bf", "e08080", "e09fbf", "f08f8080", "f4908080",
    "f5808080", "ff", "fe", "80", "bf", "c2", "e282", "f09f98", "e282ac41", "41e2", "c2c2",
    "e2ac82", "f0f09f9880", "4142c3a9", "c3a9c3", "e2a041", "f09080", "f0908041", "e0a0e0a080",
    "eda0bd", "f4908080ff", "c0afe080bfe0a080", "f09f98804142e282",
]


def mode_python_text():
    utf8 = []
    for h in UTF8_BYTES:
        raw = bytes.fromhex(h)
        try:
            raw.decode("utf-8")
            valid = True
        except UnicodeDecodeError:
            valid = False
        replaced = raw.decode("utf-8", errors="replace").encode("utf-8").hex()
        utf8.append({"hex": h, "valid": valid, "replaced": replaced})
    return {"cases": [{"text": t, "split": t.split(), "rstrip": t.rstrip()} for t in TEXT_CASES],
            "utf8": utf8}


def mode_lcs():
    from rouge_score import rouge_scorer
    rng = random.Random(99)
    cases = []
    for _ in range(3000):
        alphabet = rng.randint(1, 6)  # small alphabets make many ties in the table
        ref = [rng.randrange(alphabet) for _ in range(rng.randint(0, 25))]
        can = [rng.randrange(alphabet) for _ in range(rng.randint(0, 25))]
        table = rouge_scorer._lcs_table(ref, can)
        cases.append({"ref": ref, "can": can, "length": table[-1][-1],
                      "indices": rouge_scorer.lcs_ind(ref, can)})
    return {"cases": cases}


MODES = {"porter": mode_porter, "rouge_tokens": mode_rouge_tokens, "tok13a": mode_tok13a,
         "python_text": mode_python_text, "lcs": mode_lcs}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in MODES:
        sys.exit(f"usage: {sys.argv[0]} {'|'.join(MODES)}")
    json.dump(MODES[sys.argv[1]](), sys.stdout, ensure_ascii=True)
