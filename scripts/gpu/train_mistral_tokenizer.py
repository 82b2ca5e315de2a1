#!/usr/bin/env python3
"""A 32000-piece SentencePiece BPE tokenizer.model for the Mistral-7B-shaped checkpoint of `check.sh family`.

Run HERE by prepare_carry.sh (--mistral-tokenizer), not on the GPU machine: `gptbench init --config mistral-7b`
without --tokenizer trains its own with 2 threads, which takes minutes of device time. The settings follow
src/text/sentencepiece_trainer.cpp; the bytes need not equal init's (the decode benchmark times ids, not text).
usage: train_mistral_tokenizer.py NEWS_SUMMARY_CSV OUT_DIR
"""
import csv
import sys

import sentencepiece as spm

csv.field_size_limit(1 << 30)
src, out = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(src, encoding="latin-1")))
texts = [t for r in rows for t in (r.get("ctext") or "", r.get("text") or "") if t.strip()]
spm.SentencePieceTrainer.train(
    sentence_iterator=iter(texts), model_prefix=f"{out}/tokenizer", model_type="bpe", vocab_size=32000,
    byte_fallback=True, character_coverage=0.9995, normalization_rule_name="identity", remove_extra_whitespaces=False,
    add_dummy_prefix=True, split_digits=True, allow_whitespace_only_pieces=True, unk_id=0, bos_id=1, eos_id=2,
    pad_id=-1, max_sentence_length=1048576, num_threads=2, minloglevel=2)
print(f"wrote {out}/tokenizer.model ({len(texts)} texts)")
