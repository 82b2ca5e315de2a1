// The real news_summary.csv read through read_csv, checked against the facts PROVENANCE.md
// records (counted there with pandas): 4,514 rows of 6 fields, 126 rows with newlines inside
// quoted fields (124 in ctext, 2 in text), 118 empty ctext, every read_more ending in a space.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <algorithm>   // std::count
#include <cstdio>      // std::printf
#include <filesystem>  // std::filesystem::path

#include "gptbench/data/csv_reader.h"     // read_csv
#include "gptbench/data/text_decoding.h"  // decode_mixed_text
#include "gptbench/text/utf8.h"           // is_valid_utf8

namespace gptbench::data {
namespace {

const CsvTable& news() {
  static const CsvTable table = read_csv(std::filesystem::path(GPTBENCH_DATA_DIR) / "news_summary" / "news_summary.csv");
  return table;
}

TEST(NewsSummaryCsv, ShapeMatchesProvenance) {
  const auto& t = news();
  EXPECT_EQ(t.header, (std::vector<std::string>{"author", "date", "headlines", "read_more", "text", "ctext"}));
  EXPECT_EQ(t.rows.size(), 4514u);
  EXPECT_EQ(t.rows.front().line, 2u);
  std::size_t multiline_text = 0, multiline_ctext = 0, empty_ctext = 0, read_more_space = 0;
  for (const auto& row : t.rows) {
    multiline_text += row.fields[t.column("text")].find('\n') != std::string::npos;
    multiline_ctext += row.fields[t.column("ctext")].find('\n') != std::string::npos;
    empty_ctext += row.fields[t.column("ctext")].empty();
    read_more_space += !row.fields[t.column("read_more")].empty() && row.fields[t.column("read_more")].back() == ' ';
  }
  EXPECT_EQ(multiline_text, 2u);
  EXPECT_EQ(multiline_ctext, 124u);
  EXPECT_EQ(empty_ctext, 118u);
  EXPECT_EQ(read_more_space, 4514u);
  // 9,327 physical lines: the last record starts on the last line unless it spans lines itself.
  const auto& last = t.rows.back();
  std::size_t last_newlines = 0;
  for (const auto& f : last.fields) last_newlines += static_cast<std::size_t>(std::count(f.begin(), f.end(), '\n'));
  EXPECT_EQ(last.line + last_newlines, 9327u);
}

TEST(NewsSummaryCsv, EveryFieldDecodesToValidUtf8) {
  const auto& t = news();
  TextDecodingStats stats;
  std::size_t rows_above_7f = 0;
  for (const auto& row : t.rows) {
    bool high = false;
    for (const auto& f : row.fields) {
      const auto d = decode_mixed_text(f);
      ASSERT_TRUE(text::is_valid_utf8(d.text));
      stats.add(d);
      for (const unsigned char c : f) high = high || c >= 0x80;
    }
    rows_above_7f += high;
  }
  EXPECT_EQ(rows_above_7f, 927u);  // PROVENANCE: "927 rows contain bytes above 0x7F"
  EXPECT_EQ(stats.ascii + stats.utf8 + stats.cp1252, 4514u * 6u);
  EXPECT_GT(stats.cp1252, 0u);  // the file is not valid UTF-8
  std::printf("news_summary.csv fields: %s\n", stats.summary().c_str());
}

}  // namespace
}  // namespace gptbench::data
