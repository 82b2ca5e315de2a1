// Private to gptbench_data: what every dataset reader shares. A reader decodes its file's rows into
// Samples and hands them to a RowCollector, which applies the rules common to all datasets
// (valid UTF-8, trimming, skipping empty rows, repeated ids); load_dataset then splits and limits.
#pragma once

#include <cstddef>        // std::size_t
#include <cstdint>        // int64_t
#include <string>         // std::string
#include <string_view>    // std::string_view
#include <unordered_map>  // std::unordered_map
#include <utility>        // std::move
#include <vector>         // std::vector

#include "gptbench/data/dataset.h"  // Sample

namespace gptbench::data {

// Where ids come from, which decides what a repeated id means:
// kContentHash: id = prefix + 16 hex digits of fnv1a64(trimmed source); a repeat is a duplicate
//   text, dropped and counted (the first row is kept).
// kFromRow: the reader's id; a repeat is an error naming both lines.
enum class IdRule { kContentHash, kFromRow };

struct RowSet {
  std::vector<Sample> samples;  // file order
  int64_t rows_read = 0;
  int64_t skipped_empty = 0;
  int64_t duplicates_removed = 0;
  std::string decoding;
};

// Removes Unicode White_Space (U+0009..U+000D, U+0020, U+0085, U+00A0, U+1680, U+2000..U+200A,
// U+2028, U+2029, U+202F, U+205F, U+3000) from both ends of valid UTF-8 text.
std::string trim_space(std::string_view text);

class RowCollector {
 public:
  RowCollector(std::string file, IdRule ids, std::string id_prefix = "")
      : file_(std::move(file)), ids_(ids), id_prefix_(std::move(id_prefix)) {}

  // Checks that source and reference are valid UTF-8 (Error "FILE:LINE: ..." otherwise), trims
  // both, skips the row if either is empty, then sets or checks the id (see IdRule).
  void add(Sample row);

  RowSet finish(std::string decoding) &&;

 private:
  std::string file_;
  IdRule ids_;
  std::string id_prefix_;
  RowSet rows_;
  std::unordered_map<std::string, std::size_t> index_of_id_;  // into rows_.samples
};

// The readers. `file` names the file in messages; `content` is its (decompressed) bytes.
RowSet read_news_summary(std::string_view content, const std::string& file);
RowSet read_cnn_dailymail(std::string_view content, const std::string& file, const std::string& content_name);
RowSet read_jsonl_dataset(std::string_view content, const std::string& file);

}  // namespace gptbench::data
