#include "dataset_rows.h"  // this file's declarations

#include <fmt/format.h>  // fmt::format

#include "gptbench/data/split.h"  // fnv1a64
#include "gptbench/text/utf8.h"   // decode_utf8_char, is_valid_utf8
#include "gptbench/util/check.h"  // GPTBENCH_CHECK

namespace gptbench::data {
namespace {

bool is_white_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

std::string trim_space(std::string_view text) {
  std::size_t begin = 0;
  while (begin < text.size()) {
    const text::Utf8Char c = text::decode_utf8_char(text, begin);
    if (!is_white_space(c.cp)) break;
    begin += c.length;
  }
  std::size_t end = text.size();
  while (end > begin) {
    std::size_t start = end - 1;
    while (start > begin && is_continuation(text[start])) --start;
    const text::Utf8Char c = text::decode_utf8_char(text, start);
    if (!is_white_space(c.cp)) break;
    end = start;
  }
  return std::string(text.substr(begin, end - begin));
}

void RowCollector::add(Sample row) {
  ++rows_.rows_read;
  GPTBENCH_CHECK(text::is_valid_utf8(row.source), "{}:{}: source is not valid UTF-8", file_, row.line);
  GPTBENCH_CHECK(text::is_valid_utf8(row.reference), "{}:{}: reference is not valid UTF-8", file_, row.line);
  row.source = trim_space(row.source);
  row.reference = trim_space(row.reference);
  if (row.source.empty() || row.reference.empty()) {
    ++rows_.skipped_empty;
    return;
  }
  if (ids_ == IdRule::kContentHash) row.id = fmt::format("{}{:016x}", id_prefix_, fnv1a64(row.source));
  GPTBENCH_CHECK(!row.id.empty(), "{}:{}: empty id", file_, row.line);
  const auto [it, inserted] = index_of_id_.emplace(row.id, rows_.samples.size());
  if (!inserted) {
    const Sample& first = rows_.samples[it->second];
    GPTBENCH_CHECK(ids_ == IdRule::kContentHash, "{}:{}: id '{}' repeats the id of line {}", file_, row.line, row.id,
                   first.line);
    // Equal 64-bit hashes of different texts would silently lose a row: refuse instead.
    GPTBENCH_CHECK(first.source == row.source, "{}:{}: content id {} collides with line {}, a different text",
                   file_, row.line, row.id, first.line);
    ++rows_.duplicates_removed;
    return;
  }
  rows_.samples.push_back(std::move(row));
}

RowSet RowCollector::finish(std::string decoding) && {
  rows_.decoding = std::move(decoding);
  return std::move(rows_);
}

}  // namespace gptbench::data
