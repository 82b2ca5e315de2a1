// Summarization datasets for `gptbench run`: news_summary (Kaggle CSV), cnn_dailymail (JSONL or
// CSV, optionally xz) and any jsonl file of {"source", "reference", "id"?}. Every rule (decoding,
// trimming, skipping, deduplication, ids, splits, default paths) is stated in docs/datasets.md,
// and scripts/oracles/dataset_oracle.py re-implements it independently.
#pragma once

#include <cstdint>   // int64_t, uint64_t
#include <optional>  // std::optional
#include <string>    // std::string
#include <vector>    // std::vector

#include <nlohmann/json.hpp>  // nlohmann::json

#include "gptbench/data/dataset_kind.h"  // DatasetKind, kDatasetNames
#include "gptbench/data/split.h"         // Split, parse_split, split_name

namespace gptbench::data {

struct Sample {
  std::string id;         // stable across versions: content hash (news_summary), the file's id, or "line-N"
  std::string source;     // the text to summarise: valid UTF-8, trimmed of Unicode white space
  std::string reference;  // the reference summary: valid UTF-8, trimmed; sentences joined by "\n" where the dataset has them
  int64_t line = 0;       // 1-based line (of the decompressed content) where the row starts, for messages
};

struct DatasetOptions {
  DatasetKind kind = DatasetKind::kNewsSummary;
  std::string path;      // a file; news_summary and cnn_dailymail also take a folder
  std::string data_dir;  // where the default paths live when path is empty (the CLI's --data-dir)
  Split split = Split::kTest;
  std::optional<int64_t> limit;       // the first N samples of the split in file order; >= 1
  uint64_t split_seed = 0;            // seed of the split hash
};

struct DatasetStats {  // everything the report should record about the selection
  int64_t rows_read = 0;           // data rows in the file
  int64_t skipped_empty = 0;       // rows whose source or reference is empty after trimming
  int64_t duplicates_removed = 0;  // later rows with an earlier row's id (news_summary: the same source text)
  int64_t in_split = 0;            // rows left in the requested split
  int64_t selected = 0;            // after --limit
  std::string decoding;            // how bytes became text, with counts
  std::string split_rule;          // the rule that decided split membership, one line
};

struct Dataset {
  std::string name, path;  // path: the file actually read
  std::vector<Sample> samples;
  DatasetStats stats;
};

// Throws gptbench::Error naming file and line on bad input (and "no samples in split S of PATH"
// for an empty selection); UsageError for --limit < 1, a jsonl dataset without a file, or a --split that
// a per-split file cannot serve.
Dataset load_dataset(const DatasetOptions& options);

nlohmann::json to_json(const DatasetStats& stats);

}  // namespace gptbench::data
