// Loading a run report or a sweep file for `gptbench compare`.
#include "gptbench/compare/compare_input.h"  // this file's declarations

#include <fmt/format.h>  // fmt::format

#include <cstdint>      // int64_t
#include <string_view>  // std::string_view

#include "gptbench/io/atomic_file.h"  // read_file
#include "gptbench/io/json_input.h"   // check_json_depth, kMaxJsonFileBytes
#include "gptbench/util/check.h"      // GPTBENCH_CHECK
#include "gptbench/util/error.h"      // Error

namespace gptbench::compare {
namespace {

using nlohmann::json;

bool is_blank(std::string_view line) { return line.find_first_not_of(" \t\r") == std::string_view::npos; }

// nlohmann's message without its "[json.exception.parse_error.101] " prefix.
std::string parse_message(const json::exception& e) {
  std::string message = e.what();
  if (const size_t end = message.find("] "); message.rfind("[json.exception", 0) == 0 && end != std::string::npos)
    message.erase(0, end + 2);
  return message;
}

// The 1-based line of byte offset `byte` (nlohmann counts bytes read, so the offending byte is byte - 1).
int64_t line_of_byte(std::string_view text, size_t byte) {
  const size_t end = std::min(text.size(), byte > 0 ? byte - 1 : 0);
  int64_t line = 1;
  for (size_t i = 0; i < end; ++i) line += text[i] == '\n' ? 1 : 0;
  return line;
}

int status_rank(const std::string& status) { return status == "ok" ? 2 : status == "skipped" ? 1 : 0; }

SweepCell read_cell_line(const json& line, const std::string& where) {
  GPTBENCH_CHECK(line.contains("cell") && line["cell"].is_object(), "{}: a sweep cell line needs a \"cell\" object",
                 where);
  GPTBENCH_CHECK(line.contains("status") && line["status"].is_string(), "{}: a sweep cell line needs a \"status\" string",
                 where);
  SweepCell c;
  c.cell = line["cell"];
  c.match_key = c.cell.dump();  // nlohmann objects keep their keys sorted: one spelling per cell
  c.label = line.contains("key") && line["key"].is_string() ? line["key"].get<std::string>() : c.match_key;
  c.status = line["status"].get<std::string>();
  c.where = where;
  GPTBENCH_CHECK(c.status == "ok" || c.status == "skipped" || c.status == "error",
                 "{}: unknown cell status \"{}\" (ok, skipped, error)", where, c.status);
  const json report = line.value("report", json());
  GPTBENCH_CHECK(c.status != "ok" || report.is_object(), "{}: cell {} has status \"ok\" but no \"report\" object",
                 where, c.label);
  if (!report.is_null()) c.report = read_run_report(report, where);
  const char* message_key = c.status == "skipped" ? "reason" : "error";
  if (line.contains(message_key) && line[message_key].is_string()) c.message = line[message_key].get<std::string>();
  return c;
}

void add_cell(CompareInput& input, SweepCell cell) {
  for (SweepCell& seen : input.cells) {
    if (seen.match_key != cell.match_key) continue;
    const bool replace = status_rank(cell.status) >= status_rank(seen.status);
    const SweepCell& kept = replace ? cell : seen;
    input.notes.push_back(fmt::format("cell {} appears at {} and {}; {} (status \"{}\") counts", cell.label,
                                      seen.where, cell.where, kept.where, kept.status));
    if (replace) seen = std::move(cell);
    return;
  }
  input.cells.push_back(std::move(cell));
}

void read_sweep_lines(CompareInput& input, std::string_view text) {
  input.kind = InputKind::kSweep;
  int64_t number = 0;
  size_t start = 0;
  while (start < text.size()) {
    const size_t nl = text.find('\n', start);
    const bool terminated = nl != std::string_view::npos;
    const std::string_view line = text.substr(start, terminated ? nl - start : std::string_view::npos);
    start = terminated ? nl + 1 : text.size();
    ++number;
    if (is_blank(line)) continue;
    const std::string where = fmt::format("{}:{}", input.path, number);
    json value;
    try {
      value = json::parse(line);
    } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 1e400
      if (!terminated) {  // a sweep killed while appending its last line
        input.notes.push_back(fmt::format("{}: unterminated last line is not JSON; ignored", where));
        break;
      }
      throw Error(fmt::format("{}: invalid JSON: {}", where, parse_message(e)));
    }
    GPTBENCH_CHECK(value.is_object(), "{}: a sweep line must be a JSON object, found {}", where, value.type_name());
    const std::string record = value.contains("record") && value["record"].is_string() ? value["record"].get<std::string>()
                                                                                       : "";
    if (record == "sweep") continue;  // the header: the cells' own reports carry what is compared
    GPTBENCH_CHECK(record == "cell" || (record.empty() && value.contains("cell")),
                   "{}: not a sweep line (no \"record\": \"cell\" or \"sweep\"); a file of run reports, one a line, "
                   "is not a sweep",
                   where);
    add_cell(input, read_cell_line(value, where));
  }
}

}  // namespace

std::string input_kind_name(InputKind kind) { return kind == InputKind::kRun ? "run report" : "sweep"; }

CompareInput load_compare_input(const std::string& path) {
  CompareInput input;
  input.path = path;
  const std::string text = io::read_file(path, io::kMaxJsonFileBytes);
  io::check_json_depth(text, path);  // before nlohmann's recursive compare and dump see a value
  GPTBENCH_CHECK(text.find_first_not_of(" \t\r\n") != std::string::npos, "{}: empty file, neither a run report nor a sweep", path);
  json whole;
  try {
    whole = json::parse(text);
  } catch (const json::parse_error& e) {
    // Several JSON lines (a sweep), or a broken document: its first line decides which.
    const size_t first = text.find_first_not_of(" \t\r\n");
    const size_t eol = text.find('\n', first);
    const json first_line = json::parse(text.substr(first, eol == std::string::npos ? std::string::npos : eol - first),
                                        nullptr, /*allow_exceptions=*/false);
    if (!first_line.is_object())
      throw Error(fmt::format("{}:{}: invalid JSON: {}", path, line_of_byte(text, e.byte), parse_message(e)));
    read_sweep_lines(input, text);
    return input;
  } catch (const json::exception& e) {  // out_of_range: a number like 1e400 (fuzz_compare_input)
    throw Error(fmt::format("{}: invalid JSON: {}", path, parse_message(e)));
  }
  GPTBENCH_CHECK(whole.is_object(), "{}: expected a JSON object (a run report) or JSON lines (a sweep), found {}", path,
                 whole.type_name());
  if (whole.contains("record") || whole.contains("cell")) {  // a sweep of one line
    read_sweep_lines(input, text);
    return input;
  }
  GPTBENCH_CHECK(whole.contains("status") && whole["status"].is_string(),
                 "{}: not a gptbench run report (no \"status\" string) nor a sweep", path);
  input.report = read_run_report(whole, path);
  return input;
}

report::RunReport read_run_report(const json& report, const std::string& where) {
  try {
    return report::run_report_from_json(report);
  } catch (const report::ReportError& e) {
    throw Error(fmt::format("{}: {}", where, e.what()));
  }
}

const SweepCell* find_cell(const CompareInput& input, const std::string& match_key) {
  for (const SweepCell& c : input.cells)
    if (c.match_key == match_key) return &c;
  return nullptr;
}

}  // namespace gptbench::compare
