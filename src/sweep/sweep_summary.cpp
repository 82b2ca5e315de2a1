// Markdown and CSV summaries of sweep cells.
#include "gptbench/sweep/sweep_summary.h"

#include <fmt/format.h>  // fmt::format

#include <functional>  // std::function
#include <optional>    // std::optional
#include <variant>     // std::get_if

#include "gptbench/report/run_report.h"  // RunReport, run_report_from_json
#include "gptbench/util/error.h"         // Error

namespace gptbench::sweep {
namespace {

using Json = nlohmann::json;

std::string scalar(const Json& v) {
  if (v.is_null()) return "";
  return v.is_string() ? v.get<std::string>() : v.dump();
}

// A cell line and its run report read as the type (none when the cell was skipped; an error
// report has no results).
struct Row {
  const Json& line;
  std::optional<report::RunReport> report;

  const report::SummarizationResults* results() const {
    return report ? std::get_if<report::SummarizationResults>(&report->results) : nullptr;
  }
};

Row read_row(const Json& line) {
  Row row{line, std::nullopt};
  const Json& report = line.contains("report") ? line.at("report") : Json();
  if (report.is_null()) return row;
  try {
    row.report = report::run_report_from_json(report);
  } catch (const report::ReportError& e) {
    throw Error(fmt::format("sweep cell {}: report: {}", scalar(line.value("key", Json())), e.what()));
  }
  return row;
}

// `format` of a number of the cell's summarization results, or "" when the cell has none.
template <class Field>
std::string result_number(const Row& row, const char* format, Field field) {
  const report::SummarizationResults* r = row.results();
  return r != nullptr ? fmt::format(fmt::runtime(format), field(*r)) : "";
}

// A string of the cell's summarization results, or "" when the cell has none.
template <class Field>
std::string result_string(const Row& row, Field field) {
  const report::SummarizationResults* r = row.results();
  return r != nullptr ? field(*r) : "";
}

std::string peak_allocated_mib(const Row& row) {
  const report::SummarizationResults* r = row.results();
  if (r == nullptr || !r->memory.measured) return "";
  return fmt::format("{:.1f}", static_cast<double>(r->memory.peak_allocated_bytes) / (1024.0 * 1024.0));
}

std::string cell_value(const Row& row, const char* key) { return scalar(row.line.at("cell").value(key, Json())); }

using Results = report::SummarizationResults;

struct Column {
  const char* name;
  std::function<std::string(const Row&)> value;
};

// The one list of summary columns, shared by both formats.
const std::vector<Column>& columns() {
  static const std::vector<Column> kColumns = {
      {"index", [](const Row& r) { return r.line.at("index").dump(); }},
      {"variant", [](const Row& r) { return cell_value(r, "variant"); }},
      {"batch_size", [](const Row& r) { return cell_value(r, "batch_size"); }},
      {"prompt_tokens", [](const Row& r) { return cell_value(r, "prompt_tokens"); }},
      {"max_new_tokens", [](const Row& r) { return cell_value(r, "max_new_tokens"); }},
      {"dtype", [](const Row& r) { return cell_value(r, "dtype"); }},
      {"window", [](const Row& r) { return cell_value(r, "window"); }},
      {"status", [](const Row& r) { return scalar(r.line.at("status")); }},
      {"ttft_p50_ms", [](const Row& r) { return result_number(r, "{:.2f}", [](const Results& s) { return s.latency.ttft.p50; }); }},
      {"tpot_p50_ms", [](const Row& r) { return result_number(r, "{:.3f}", [](const Results& s) { return s.latency.tpot.p50; }); }},
      {"tokens_per_s", [](const Row& r) { return result_number(r, "{:.1f}", [](const Results& s) { return s.latency.tokens_per_s; }); }},
      {"peak_allocated_mib", peak_allocated_mib},
      // What really ran: the attention kernel, how decode steps ran, and the projections' kernel.
      {"kernel", [](const Row& r) { return r.report && r.report->attention ? r.report->attention->kernel : ""; }},
      {"decode", [](const Row& r) { return result_string(r, [](const Results& s) { return s.decode ? s.decode->mode : ""; }); }},
      {"linear", [](const Row& r) { return result_string(r, [](const Results& s) { return s.linear ? s.linear->kernel : ""; }); }},
      {"note", [](const Row& r) { return scalar(r.line.value("reason", Json())) + scalar(r.line.value("error", Json())); }},
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
    const Row row = read_row(cell);
    text += "|";
    for (const auto& col : columns()) text += fmt::format(" {} |", markdown_field(col.value(row)));
    text += "\n";
  }
  return text;
}

std::string summary_csv(const std::vector<Json>& cells) {
  std::string text;
  for (const auto& col : columns()) text += fmt::format("{}{}", text.empty() ? "" : ",", col.name);
  text += "\n";
  for (const auto& cell : cells) {
    const Row row = read_row(cell);
    for (size_t i = 0; i < columns().size(); ++i) text += (i == 0 ? "" : ",") + csv_field(columns()[i].value(row));
    text += "\n";
  }
  return text;
}

std::filesystem::path default_summary_path(const std::filesystem::path& jsonl, const std::string& extension) {
  std::filesystem::path p = jsonl;
  return p.extension() == ".jsonl" ? p.replace_extension(extension) : std::filesystem::path(jsonl.string() + extension);
}

}  // namespace gptbench::sweep
