// Reading what `gptbench compare` compares: a run report (one JSON object, docs/result-schema.md)
// or a sweep file (JSON lines: a header line and one line per cell, docs/result-schema.md "sweep").
// Which one a file is follows from its content, not its name.
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <optional>  // std::optional
#include <string>    // std::string
#include <vector>    // std::vector

#include "gptbench/report/run_report.h"  // RunReport

namespace gptbench::compare {

enum class InputKind { kRun, kSweep };

std::string input_kind_name(InputKind kind);  // "run report", "sweep"

// One cell of a sweep: the line that counts when a key occurs more than once (the best status,
// ok over skipped over error, the later line among equals; as `gptbench merge`).
struct SweepCell {
  std::string match_key;  // the "cell" object dumped with sorted keys: what cells are matched by
  std::string label;      // the sweep's "key" ("flash/fp16/w-/b8/p512/n64"), else match_key
  nlohmann::json cell;    // {variant, batch_size, prompt_tokens, max_new_tokens, dtype, window}
  std::string status;     // "ok" | "skipped" | "error"
  std::string message;    // the skip reason or error message; empty for "ok"
  std::optional<report::RunReport> report;  // the run report (none when skipped)
  std::string where;      // "FILE:LINE" of the line
};

struct CompareInput {
  std::string path;
  InputKind kind = InputKind::kRun;
  report::RunReport report;        // kRun: the run report
  std::vector<SweepCell> cells;    // kSweep: in the order of the file
  std::vector<std::string> notes;  // what was read but not used, e.g. an unterminated last line
};

// Throws gptbench::Error naming the file (and line) when it is unreadable, not JSON, or neither
// a run report nor a sweep, or when a report does not read as a report::RunReport.
CompareInput load_compare_input(const std::string& path);

// `report` as a run report; gptbench::Error "WHERE: KEY.PATH: expected ..." when it does not fit.
report::RunReport read_run_report(const nlohmann::json& report, const std::string& where);

// The cell with this match key, or nullptr.
const SweepCell* find_cell(const CompareInput& input, const std::string& match_key);

}  // namespace gptbench::compare
