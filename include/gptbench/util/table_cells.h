// Text as a cell of a CSV or markdown table, so that a value cannot break its row: one place for
// both quoting rules (sweep summaries and `gptbench report` write such tables).
#pragma once

#include <string>  // std::string

namespace gptbench {

// RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.
inline std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char ch : text) quoted += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return quoted + "\"";
}

// A markdown table cell: "|" escaped and line breaks as spaces (GitHub's tables have no other escape).
inline std::string markdown_cell(const std::string& text) {
  std::string out;
  for (char ch : text) out += ch == '|' ? std::string("\\|") : ch == '\n' || ch == '\r' ? std::string(" ") : std::string(1, ch);
  return out;
}

}  // namespace gptbench
