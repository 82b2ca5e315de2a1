// CNN/DailyMail: source = article, reference = highlights (sentences joined by "\n"), id = the
// file's id (HF's sha1 of the story URL). Layouts: JSONL (the shared See et al. subset, HF's
// to_json output) or CSV (HF/Kaggle export) with the columns id, article, highlights.
#include <fmt/format.h>  // fmt::format

#include "dataset_rows.h"                 // RowCollector, read_cnn_dailymail
#include "gptbench/data/csv_reader.h"     // parse_csv
#include "gptbench/data/text_decoding.h"  // decode_mixed_text, TextDecodingStats
#include "json_lines.h"                   // for_each_json_line, string_field
#include "gptbench/util/check.h"          // GPTBENCH_CHECK

namespace gptbench::data {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

RowSet read_jsonl(std::string_view content, const std::string& file) {
  RowCollector rows(file, IdRule::kFromRow);
  for_each_json_line(content, file, [&](const nlohmann::json& object, int64_t line) {
    rows.add(Sample{string_field(object, "id", file, line), string_field(object, "article", file, line),
                    string_field(object, "highlights", file, line), line});
  });
  return std::move(rows).finish("JSON strings (UTF-8, checked by the JSON parser)");
}

// HF's CSV exports are UTF-8; decode_mixed_text leaves valid UTF-8 as it is and keeps a stray
// Windows-1252 byte readable instead of failing the whole file.
RowSet read_csv_layout(std::string_view content, const std::string& file) {
  const CsvTable table = parse_csv(content, file);
  const std::size_t id = table.column("id");
  const std::size_t article = table.column("article");
  const std::size_t highlights = table.column("highlights");
  TextDecodingStats decoding;
  RowCollector rows(file, IdRule::kFromRow);
  for (const CsvRow& row : table.rows) {
    DecodedText source = decode_mixed_text(row.fields[article]);
    DecodedText reference = decode_mixed_text(row.fields[highlights]);
    decoding.add(source);
    decoding.add(reference);
    rows.add(Sample{decode_mixed_text(row.fields[id]).text, std::move(source.text), std::move(reference.text),
                    static_cast<int64_t>(row.line)});
  }
  return std::move(rows).finish(
      fmt::format("article and highlights fields: valid UTF-8 kept, other bytes read as Windows-1252: {}",
                  decoding.summary()));
}

}  // namespace

RowSet read_cnn_dailymail(std::string_view content, const std::string& file, const std::string& content_name) {
  if (ends_with(content_name, ".jsonl") || ends_with(content_name, ".json")) return read_jsonl(content, file);
  GPTBENCH_CHECK(ends_with(content_name, ".csv"),
                 "{}: unknown cnn_dailymail layout (expected .jsonl, .json or .csv, optionally .xz)", file);
  return read_csv_layout(content, file);
}

}  // namespace gptbench::data
