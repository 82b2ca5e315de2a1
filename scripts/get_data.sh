#!/usr/bin/env bash
# Downloads the data gptbench reads into a data folder, verifies every file against
# data/checksums.tsv (SHA-256), and prints where it put them (data/README.md says what each is).
#
#   scripts/get_data.sh [--data-dir DIR] [--only news_summary,wikitext2,gpt2_tokenizer,cnn_dailymail]
#                       [--news-url URL] [--verify-only]
#
#   --data-dir DIR   where the data goes (default: $GPTBENCH_DATA_DIR, else data/ in this checkout)
#   --only LIST      these datasets only (default: all four)
#   --news-url URL   news_summary.csv, or a zip holding it, from this URL instead of the kaggle CLI
#   --verify-only    download nothing: check what DIR holds (a FILE.xz counts as FILE, decompressed)
#
# Sources: news_summary: Kaggle dataset sunnysai12345/news-summary (kaggle CLI with an API token, or
# --news-url); wikitext2: the Hugging Face dataset Salesforce/wikitext, wikitext-2-raw-v1, test split,
# written in the original wiki.test.raw layout; gpt2_tokenizer: openai-community/gpt2 on the Hugging
# Face hub; cnn_dailymail: the official URL lists (abisee/cnn-dailymail, pinned commit) and the Hugging
# Face dataset abisee/cnn_dailymail 3.0.0 (test and validation) as JSON lines {id, article, highlights},
# checked against the URL lists (each id is the SHA-1 of its story URL). The wikitext2 and
# cnn_dailymail downloads need the Python package `datasets`; HF_ENDPOINT moves the hub.
# Exit: 0 all verified, 1 a download or a check failed (nothing unverified is left in DIR), 2 bad usage.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CHECKSUMS=$ROOT/data/checksums.tsv
ALL=(news_summary wikitext2 gpt2_tokenizer cnn_dailymail)
HUB=${HF_ENDPOINT:-https://huggingface.co}
URL_LISTS=https://raw.githubusercontent.com/abisee/cnn-dailymail/b15ad0a2db0d407a84b8ca9b5731e1f1c4bd24b9/url_lists

log() { echo "[get_data] $*" >&2; }
usage() { echo "get_data.sh: $*" >&2; sed -n '5,6p' "${BASH_SOURCE[0]}" | sed 's/^#//' >&2; exit 2; }
die() { echo "get_data.sh: $*" >&2; exit 1; }

DATA_DIR=${GPTBENCH_DATA_DIR:-$ROOT/data}
ONLY=
NEWS_URL=
VERIFY_ONLY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --data-dir) [ $# -ge 2 ] || usage "--data-dir needs a folder"; DATA_DIR=$2; shift ;;
    --only) [ $# -ge 2 ] || usage "--only needs a list"; ONLY=$2; shift ;;
    --news-url) [ $# -ge 2 ] || usage "--news-url needs a URL"; NEWS_URL=$2; shift ;;
    --verify-only) VERIFY_ONLY=1 ;;
    -h|--help) sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) usage "unknown argument \"$1\"" ;;
  esac
  shift
done
GROUPS_WANTED=("${ALL[@]}")
if [ -n "$ONLY" ]; then
  IFS=, read -r -a GROUPS_WANTED <<<"$ONLY"
  for g in "${GROUPS_WANTED[@]}"; do
    [[ " ${ALL[*]} " == *" $g "* ]] || usage "--only: unknown dataset \"$g\" (${ALL[*]})"
  done
fi
[ -f "$CHECKSUMS" ] || die "$CHECKSUMS: missing (it holds the SHA-256 of every file)"
if [ $VERIFY_ONLY = 1 ]; then
  [ -d "$DATA_DIR" ] || die "--data-dir $DATA_DIR: no such folder"
else
  mkdir -p "$DATA_DIR" || die "--data-dir $DATA_DIR: cannot create it"
fi
DATA_DIR=$(cd "$DATA_DIR" && pwd)
if [ -n "${GPTBENCH_PYTHON:-}" ]; then PY=$GPTBENCH_PYTHON
elif [ -x "$ROOT/.venv/bin/python" ]; then PY=$ROOT/.venv/bin/python
else PY=python3; fi

# SHA-256 of FILE, or of FILE.xz decompressed; empty when neither exists.
content_sha() {
  if [ -f "$1" ]; then sha256sum "$1" | cut -d' ' -f1
  elif [ -f "$1.xz" ]; then xz -dc "$1.xz" | sha256sum | cut -d' ' -f1
  fi
}

# The checksum rows "file<TAB>sha256<TAB>dataset" of dataset $1 ("-": the files no dataset fetches).
rows_of() { grep -v '^#' "$CHECKSUMS" | awk -F'\t' -v g="$1" '$3 == g'; }

# Checks dataset $1 in the data folder; prints one line per file; returns 1 when one is missing or wrong.
verify_group() {
  local group=$1 status=0 file want got
  while IFS=$'\t' read -r file want _; do
    got=$(content_sha "$DATA_DIR/$file")
    if [ -z "$got" ]; then
      echo "  MISSING $DATA_DIR/$file: fetch it with scripts/get_data.sh --only $group --data-dir $DATA_DIR"
      status=1
    elif [ "$got" != "$want" ]; then
      echo "  BAD     $DATA_DIR/$file: SHA-256 $got, expected $want (data/checksums.tsv)"
      status=1
    else
      echo "  ok      $DATA_DIR/$file$([ -f "$DATA_DIR/$file" ] || echo .xz)"
    fi
  done < <(rows_of "$group")
  # Files only the shared copy has (not downloadable): verified when present.
  if [ "$group" = cnn_dailymail ]; then
    while IFS=$'\t' read -r file want _; do
      got=$(content_sha "$DATA_DIR/$file")
      [ -z "$got" ] && continue
      if [ "$got" != "$want" ]; then
        echo "  BAD     $DATA_DIR/$file: SHA-256 $got, expected $want (data/checksums.tsv)"; status=1
      else
        echo "  ok      $DATA_DIR/$file$([ -f "$DATA_DIR/$file" ] || echo .xz)"
      fi
    done < <(rows_of - | grep '^cnn_dailymail/')
    for split in test validation; do
      [ -f "$DATA_DIR/cnn_dailymail/hf_3.0.0/$split.jsonl" ] || continue
      if check_cnn_ids "$split"; then echo "  ok      $DATA_DIR/cnn_dailymail/hf_3.0.0/$split.jsonl (ids = SHA-1 of the URL list)"
      else status=1; fi
    done
  fi
  return $status
}

# The Hugging Face CNN/DM export of split $1 has exactly the ids of the official URL list.
check_cnn_ids() {
  local list=all_test.txt
  [ "$1" = validation ] && list=all_val.txt
  "$PY" - "$DATA_DIR/cnn_dailymail/hf_3.0.0/$1.jsonl" "$DATA_DIR/cnn_dailymail/url_lists/$list" <<'PY'
import hashlib, json, lzma, os, sys
export, url_list = sys.argv[1], sys.argv[2]
opener = (lambda p: lzma.open(p, "rt", encoding="utf-8")) if not os.path.exists(url_list) else open
if not os.path.exists(url_list):
    url_list += ".xz"
with opener(url_list) as f:
    want = {hashlib.sha1(line.strip().encode()).hexdigest() for line in f if line.strip()}
got, rows = set(), 0
with open(export, encoding="utf-8") as f:
    for number, line in enumerate(f, 1):
        row = json.loads(line)
        if not all(isinstance(row.get(k), str) for k in ("id", "article", "highlights")):
            sys.exit(f"  BAD     {export}:{number}: a row needs the strings id, article, highlights")
        got.add(row["id"])
        rows += 1
if got != want or rows != len(want):
    sys.exit(f"  BAD     {export}: {rows} rows, {len(got & want)} of the {len(want)} ids of {url_list}")
PY
}

# Fails with a clear message when URL cannot be reached (no network, or the host is down).
require_network() {
  curl -sS -o /dev/null --max-time 20 -I "$1" 2>/dev/null \
    || die "no network: cannot reach $1; download on a machine with network, copy the data folder here and check it with scripts/get_data.sh --verify-only --data-dir DIR"
}

# Downloads URL $1 to file $2 (through a .part file).
download() {
  curl -fsL --retry 2 --max-time 1800 -o "$2.part" "$1" || { rm -f "$2.part"; die "cannot download $1 (no network, or a wrong URL)"; }
  mv "$2.part" "$2"
}

# Moves the verified file $1 to data-folder path $2, or deletes it and fails when its SHA-256 is not the listed one.
install_verified() {
  local want got
  want=$(grep -v '^#' "$CHECKSUMS" | awk -F'\t' -v f="$2" '$1 == f {print $2}')
  got=$(sha256sum "$1" | cut -d' ' -f1)
  if [ "$got" != "$want" ]; then
    rm -f "$1"
    die "$2: downloaded, but its SHA-256 is $got, not $want (data/checksums.tsv): not installed"
  fi
  mkdir -p "$(dirname "$DATA_DIR/$2")" && mv "$1" "$DATA_DIR/$2"
  log "verified $DATA_DIR/$2"
}

need_python_module() {
  "$PY" -c "import $1" 2>/dev/null || die "$2 needs the Python package $1 in $PY: $PY -m pip install $1 (or set GPTBENCH_PYTHON)"
}

fetch_news_summary() {
  local zip=$TMP/news.download csv=$TMP/news_summary.csv
  if [ -n "$NEWS_URL" ]; then
    download "$NEWS_URL" "$zip"
  elif command -v kaggle >/dev/null; then
    require_network https://www.kaggle.com
    kaggle datasets download -d sunnysai12345/news-summary -f news_summary.csv -p "$TMP" >&2 \
      || die "news_summary: kaggle datasets download failed (an API token in ~/.kaggle/kaggle.json is needed); or pass --news-url URL"
    zip=$(ls "$TMP"/news_summary.csv* | head -1)
  else
    die "news_summary: needs the kaggle CLI (pip install kaggle, with an API token in ~/.kaggle/kaggle.json) or --news-url URL (news_summary.csv or a zip holding it)"
  fi
  if unzip -l "$zip" >/dev/null 2>&1; then
    unzip -p "$zip" news_summary.csv >"$csv" 2>/dev/null || die "news_summary: the zip from the download holds no news_summary.csv"
  else
    mv "$zip" "$csv"
  fi
  # Kaggle serves the CRLF variant of the author's file; the verified bytes are the LF one (PROVENANCE).
  "$PY" -c 'import sys; p = sys.argv[1]; b = open(p, "rb").read(); open(p, "wb").write(b.replace(b"\r\n", b"\n"))' "$csv"
  install_verified "$csv" news_summary/news_summary.csv
}

fetch_wikitext2() {
  need_python_module datasets wikitext2
  require_network "$HUB"
  "$PY" - "$TMP/wiki.test.raw" <<'PY' || die "wikitext2: the download from the Hugging Face hub failed"
import sys
from datasets import load_dataset
rows = load_dataset("Salesforce/wikitext", "wikitext-2-raw-v1", split="test")["text"]
# The hub's loader turned each blank line " \n" of wiki.test.raw into "": this restores the file.
open(sys.argv[1], "w", encoding="utf-8", newline="").write("".join(r if r else " \n" for r in rows))
PY
  install_verified "$TMP/wiki.test.raw" wikitext2_raw/wiki.test.raw
}

fetch_gpt2_tokenizer() {
  need_python_module huggingface_hub gpt2_tokenizer
  require_network "$HUB"
  "$PY" - "$TMP" <<'PY' || die "gpt2_tokenizer: the download from the Hugging Face hub failed"
import shutil, sys
from huggingface_hub import hf_hub_download
for name in ("vocab.json", "merges.txt", "config.json"):
    shutil.copyfile(hf_hub_download("openai-community/gpt2", name), f"{sys.argv[1]}/{name}")
PY
  cp "$TMP/vocab.json" "$TMP/encoder.json" && cp "$TMP/merges.txt" "$TMP/vocab.bpe"  # OpenAI's names, same bytes
  for name in vocab.json merges.txt encoder.json vocab.bpe config.json; do
    install_verified "$TMP/$name" "gpt2_tokenizer/$name"
  done
}

fetch_cnn_dailymail() {
  need_python_module datasets cnn_dailymail
  require_network "$HUB"
  for list in all_test.txt all_val.txt; do
    download "$URL_LISTS/$list" "$TMP/$list"
    install_verified "$TMP/$list" "cnn_dailymail/url_lists/$list"
  done
  mkdir -p "$DATA_DIR/cnn_dailymail/hf_3.0.0"
  for split in test validation; do
    "$PY" - "$split" "$TMP/$split.jsonl" <<'PY' || die "cnn_dailymail: the $split download from the Hugging Face hub failed"
import json, sys
from datasets import load_dataset
split, out = sys.argv[1], sys.argv[2]
with open(out, "w", encoding="utf-8") as f:
    for row in load_dataset("abisee/cnn_dailymail", "3.0.0", split=split):
        f.write(json.dumps({"id": row["id"], "article": row["article"], "highlights": row["highlights"]},
                           ensure_ascii=False) + "\n")
PY
    mv "$TMP/$split.jsonl" "$DATA_DIR/cnn_dailymail/hf_3.0.0/$split.jsonl"
    check_cnn_ids "$split" || { rm -f "$DATA_DIR/cnn_dailymail/hf_3.0.0/$split.jsonl"; die "cnn_dailymail: the $split rows do not match the official URL list: removed"; }
    log "verified $DATA_DIR/cnn_dailymail/hf_3.0.0/$split.jsonl (ids = SHA-1 of the URL list)"
  done
}

if [ $VERIFY_ONLY = 0 ]; then
  TMP=$(mktemp -d "$DATA_DIR/.get_data.XXXXXX") || die "cannot write in $DATA_DIR"
  trap 'rm -rf "$TMP"' EXIT
  for g in "${GROUPS_WANTED[@]}"; do
    if verify_group "$g" >/dev/null 2>&1; then
      log "$g: already there and verified"
      continue
    fi
    log "$g: downloading"
    "fetch_$g"
  done
fi

failed=0
echo "data folder: $DATA_DIR"
for g in "${GROUPS_WANTED[@]}"; do
  echo "$g:"
  verify_group "$g" || failed=1
done
if [ $failed = 1 ]; then
  die "some files are missing or wrong (listed above)"
fi
echo "all verified. gptbench reads them with --data-dir $DATA_DIR, or: export GPTBENCH_DATA_DIR=$DATA_DIR"
