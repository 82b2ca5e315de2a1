#!/usr/bin/env bash
# Run HERE (not on the GPU machine): copies the shared data the GPU cycle needs into .carry/data,
# an ignored folder that the device tool carries (carry: [".carry"]). About 24 MB.
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
