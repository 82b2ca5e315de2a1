// The generic jsonl dataset: one {"source": ..., "reference": ..., "id"?: ...} object a line. A
// row without an id is "line-N" after its line, which stays stable while the file is only appended to.
#include "dataset_rows.h"  // RowCollector, read_jsonl_dataset
#include "json_lines.h"    // for_each_json_line, string_field

namespace gptbench::data {

RowSet read_jsonl_dataset(std::string_view content, const std::string& file) {
  RowCollector rows(file, IdRule::kFromRow);
  for_each_json_line(content, file, [&](const nlohmann::json& object, int64_t line) {
    std::optional<std::string> id = optional_string_field(object, "id", file, line);
    rows.add(Sample{id ? std::move(*id) : "line-" + std::to_string(line), string_field(object, "source", file, line),
                    string_field(object, "reference", file, line), line});
  });
  return std::move(rows).finish("JSON strings (UTF-8, checked by the JSON parser)");
}

}  // namespace gptbench::data
