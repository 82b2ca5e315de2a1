// news_summary.csv (Kaggle "News Summary"): source = ctext, reference = text. The file mixes
// Windows-1252 bytes with some UTF-8 (see its PROVENANCE.md), so every field goes through
// decode_mixed_text. Ids are content hashes: the file has no id column, and row numbers would
// change if the file were ever re-exported or filtered.
#include <fmt/format.h>  // fmt::format

#include "dataset_rows.h"                  // RowCollector, read_news_summary
#include "gptbench/data/csv_reader.h"      // parse_csv
#include "gptbench/data/text_decoding.h"   // decode_mixed_text, TextDecodingStats

namespace gptbench::data {

RowSet read_news_summary(std::string_view content, const std::string& file) {
  const CsvTable table = parse_csv(content, file);
  const std::size_t ctext = table.column("ctext");
  const std::size_t text = table.column("text");
  TextDecodingStats decoding;
  RowCollector rows(file, IdRule::kContentHash, "ns-");
  for (const CsvRow& row : table.rows) {
    DecodedText source = decode_mixed_text(row.fields[ctext]);
    DecodedText reference = decode_mixed_text(row.fields[text]);
    decoding.add(source);
    decoding.add(reference);
    rows.add(Sample{"", std::move(source.text), std::move(reference.text), static_cast<int64_t>(row.line)});
  }
  return std::move(rows).finish(
      fmt::format("ctext and text fields: valid UTF-8 kept, other bytes read as Windows-1252: {}", decoding.summary()));
}

}  // namespace gptbench::data
