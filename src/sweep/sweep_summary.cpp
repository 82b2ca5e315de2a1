// Markdown and CSV summaries of sweep cells.
#include "gptbench/sweep/sweep_summary.h"

#include <fmt/format.h>  // fmt::format

#include <functional>  // std::function

namespace gptbench::sweep {
namespace {

using Json = nlohmann::json;

// The value at `path` under the cell's report; null when the cell has no report or the report lacks it.
Json report_value(const Json& cell, const Json::json_pointer& path) {
  if (!cell.contains("report")) return Json();
  const Json& report = cell.at("report");
  return report.is_object() && report.contains(path) ? report.at(path) : Json();
}

std::string scalar(const Json& v) {
  if (v.is_null()) return "";
  return v.is_string() ? v.get<std::string>() : v.dump();
}

// A number at `path` under the cell's report, formatted, or "" when the report lacks it.
std::string report_number(const Json& cell, const Json::json_pointer& path, const char* format, double scale = 1.0) {
  const Json v = report_value(cell, path);
  return v.is_number() ? fmt::format(fmt::runtime(format), v.get<double>() * scale) : "";
}

// A string (or other scalar) at `path` under the cell's report, or "" when the report lacks it.
std::string report_string(const Json& cell, const Json::json_pointer& path) { return scalar(report_value(cell, path)); }

std::string peak_allocated_mib(const Json& cell) {
  if (report_value(cell, Json::json_pointer("/memory/measured")) != true) return "";
  return report_number(cell, Json::json_pointer("/memory/peak_allocated_bytes"), "{:.1f}", 1.0 / (1024.0 * 1024.0));
}

struct Column {
  const char* name;
  std::function<std::string(const Json&)> value;
};

// The one list of summary columns, shared by both formats.
const std::vector<Column>& columns() {
  static const std::vector<Column> kColumns = {
      {"index", [](const Json& c) { return c.at("index").dump(); }},
      {"variant", [](const Json& c) { return scalar(c.at("cell").value("variant", Json())); }},
      {"batch_size", [](const Json& c) { return scalar(c.at("cell").value("batch_size", Json())); }},
      {"prompt_tokens", [](const Json& c) { return scalar(c.at("cell").value("prompt_tokens", Json())); }},
      {"max_new_tokens", [](const Json& c) { return scalar(c.at("cell").value("max_new_tokens", Json())); }},
      {"dtype", [](const Json& c) { return scalar(c.at("cell").value("dtype", Json())); }},
      {"window", [](const Json& c) { return scalar(c.at("cell").value("window", Json())); }},
      {"status", [](const Json& c) { return scalar(c.at("status")); }},
      {"ttft_p50_ms", [](const Json& c) { return report_number(c, Json::json_pointer("/latency/ttft/p50"), "{:.2f}"); }},
      {"tpot_p50_ms", [](const Json& c) { return report_number(c, Json::json_pointer("/latency/tpot/p50"), "{:.3f}"); }},
      {"tokens_per_s", [](const Json& c) { return report_number(c, Json::json_pointer("/latency/tokens_per_s"), "{:.1f}"); }},
      {"peak_allocated_mib", peak_allocated_mib},
      // What really ran: the attention kernel, how decode steps ran, and the projections' kernel.
      {"kernel", [](const Json& c) { return report_string(c, Json::json_pointer("/attention/kernel")); }},
      {"decode", [](const Json& c) { return report_string(c, Json::json_pointer("/decode/mode")); }},
      {"linear", [](const Json& c) { return report_string(c, Json::json_pointer("/linear/kernel")); }},
      {"note", [](const Json& c) { return scalar(c.value("reason", Json())) + scalar(c.value("error", Json())); }},
  };
  return kColumns;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string quoted = "\"";
  for (char ch : s) quoted += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return quoted + "\"";
}

std::string markdown_field(const std::string& s) {
  std::string out;
  for (char ch : s) out += ch == '|' ? std::string("\\|") : ch == '\n' ? std::string(" ") : std::string(1, ch);
  return out.empty() ? "-" : out;
}

}  // namespace

std::string summary_markdown(const std::vector<Json>& cells) {
  std::string header = "|", rule = "|";
  for (const auto& col : columns()) {
    header += fmt::format(" {} |", col.name);
    rule += "---|";
  }
  std::string text = header + "\n" + rule + "\n";
  for (const auto& cell : cells) {
    text += "|";
    for (const auto& col : columns()) text += fmt::format(" {} |", markdown_field(col.value(cell)));
    text += "\n";
  }
  return text;
}

std::string summary_csv(const std::vector<Json>& cells) {
  std::string text;
  for (const auto& col : columns()) text += fmt::format("{}{}", text.empty() ? "" : ",", col.name);
  text += "\n";
  for (const auto& cell : cells) {
    for (size_t i = 0; i < columns().size(); ++i) text += (i == 0 ? "" : ",") + csv_field(columns()[i].value(cell));
    text += "\n";
  }
  return text;
}

std::filesystem::path default_summary_path(const std::filesystem::path& jsonl, const std::string& extension) {
  std::filesystem::path p = jsonl;
  return p.extension() == ".jsonl" ? p.replace_extension(extension) : std::filesystem::path(jsonl.string() + extension);
}

}  // namespace gptbench::sweep
