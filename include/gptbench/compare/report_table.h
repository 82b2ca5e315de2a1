// `gptbench report A.json B.json ...`: run reports side by side, one row per report, with each
// number's ratio against the first report's. Unlike `gptbench compare` nothing is judged and the
// configs may differ (comparing variants is the point): the differences from the first report are
// listed under the table.
//
// Columns (docs: README "gptbench report"): report (the file), variant, device (device_model.h),
// kernel (attention.kernel: what ran), then the numbers (report_columns()): quality (ROUGE-1/2/L F,
// BLEU; perplexity for a perplexity run), latency medians TTFT and TPOT (ms), tokens/s, peak
// allocated memory (MiB; absent on the CPU), then TPOT p90 (absent below 10 batches), energy per
// generated token (J) and mean power (W) over the timed batches (gpu_telemetry; absent where not
// measured). A number a report does not have is empty (markdown: "-").
#pragma once

#include <optional>  // std::optional
#include <string>    // std::string
#include <vector>    // std::vector

#include "gptbench/report/run_report.h"  // RunReport

namespace gptbench::compare {

// A number column: its CSV name, its markdown header and how many decimals the markdown shows.
struct ReportColumn {
  std::string key;     // "ttft_ms"
  std::string header;  // "TTFT p50 (ms)"
  int decimals = 3;
};

const std::vector<ReportColumn>& report_columns();

struct ReportRow {
  std::string path;
  std::string status;  // "ok" | "error"
  std::string variant, device, kernel;
  std::vector<std::optional<double>> values;  // per report_columns()
  std::vector<std::optional<double>> ratios;  // value / the first report's value; none for the first
};

struct ReportTable {
  std::vector<ReportRow> rows;
  std::vector<std::string> notes;  // failed runs, config differences from the first report
};

struct NamedReport {
  std::string path;
  report::RunReport report;
};

// Reads a run report (compare_input.h); throws gptbench::Error naming the file when it is unreadable or
// not a run report, UsageError naming it when it is a sweep.
NamedReport load_run_report(const std::string& path);

ReportTable make_report_table(const std::vector<NamedReport>& reports);

// Markdown: a table whose number cells read "value (ratio x)", columns that no report has left out,
// then the notes as a list. CSV: every column always (stable for scripts), each number beside its
// "<key>_ratio", full precision, no notes.
std::string format_report_markdown(const ReportTable& table);
std::string format_report_csv(const ReportTable& table);

}  // namespace gptbench::compare
