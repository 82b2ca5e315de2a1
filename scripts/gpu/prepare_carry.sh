#!/usr/bin/env bash
# Run HERE (not on the GPU machine): copies the shared data the GPU cycle needs into .carry/data,
# and SentencePiece's headers and shared libraries (the GPU machine has no libsentencepiece) into
# .carry/sentencepiece, an ignored folder that the device tool carries (carry: [".carry"]). About 27 MB.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DATA=${GPTBENCH_DATA_DIR:-$ROOT/../shared/data}
DEST=$ROOT/.carry/data
mkdir -p "$DEST/gpt2_tokenizer" "$DEST/news_summary" "$DEST/cnn_dailymail/see2017_tok_lower"
cp "$DATA"/gpt2_tokenizer/{vocab.json,merges.txt,config.json,encoder.json,vocab.bpe} "$DEST/gpt2_tokenizer/"
cp "$DATA/news_summary/news_summary.csv" "$DEST/news_summary/"
mkdir -p "$DEST/wikitext2_raw" && cp "$DATA/wikitext2_raw/wiki.test.raw" "$DEST/wikitext2_raw/"
cp "$DATA"/cnn_dailymail/see2017_tok_lower/{test,validation}.partial.jsonl.xz "$DEST/cnn_dailymail/see2017_tok_lower/"
du -sh "$DEST"
SPM=$ROOT/.carry/sentencepiece
SPM_LIBDIR=${SENTENCEPIECE_LIBDIR:-/usr/lib/x86_64-linux-gnu}
mkdir -p "$SPM/include" "$SPM/lib"
cp /usr/include/sentencepiece_processor.h /usr/include/sentencepiece_trainer.h "$SPM/include/"
for lib in sentencepiece sentencepiece_train; do  # -L: the links become files (a link travels as a link)
  cp -L "$SPM_LIBDIR/lib$lib.so" "$SPM_LIBDIR/lib$lib.so.0" "$SPM/lib/"
done
du -sh "$SPM"
# Optional (--mistral-tokenizer): the 32000-piece tokenizer.model that `check.sh family` hands to init (a few minutes
# here, with the .venv's sentencepiece), so that the device does not spend its time training one.
if [ "${1:-}" = --mistral-tokenizer ] && [ ! -f "$ROOT/.carry/mistral_tokenizer/tokenizer.model" ]; then
  mkdir -p "$ROOT/.carry/mistral_tokenizer"
  "$ROOT/.venv/bin/python" "$ROOT/scripts/gpu/train_mistral_tokenizer.py" "$DATA/news_summary/news_summary.csv" \
    "$ROOT/.carry/mistral_tokenizer"
fi
