// The side-by-side table of run reports (report_table.h): one row per report, ratios against the first.
#include "gptbench/compare/report_table.h"  // this file's declarations

#include <fmt/format.h>  // fmt::format
#include <fmt/ranges.h>  // fmt::join

#include <variant>  // std::get_if

#include "gptbench/compare/compare_input.h"  // load_compare_input
#include "gptbench/compare/config_diff.h"    // config_differences, to_string
#include "gptbench/compare/device_model.h"   // device_model
#include "gptbench/util/error.h"             // UsageError

namespace gptbench::compare {
namespace {

using Value = std::optional<double>;

constexpr double kMiB = 1024.0 * 1024.0;

const report::MemoryInfo* memory_of(const report::RunReport& r) {
  if (const auto* s = std::get_if<report::SummarizationResults>(&r.results)) return &s->memory;
  if (const auto* p = std::get_if<report::PerplexityResults>(&r.results)) return &p->memory;
  return nullptr;
}

Value latency_median(const report::Summary& s) { return s.n > 0 ? Value(s.p50) : std::nullopt; }

// The values of report_columns(), in its order.
std::vector<Value> values_of(const report::RunReport& r) {
  Value rouge1, rouge2, rouge_l, bleu, perplexity, ttft, tpot, tokens_per_s, peak_mib, tpot_p90, j_per_token, watts;
  if (const auto* s = std::get_if<report::SummarizationResults>(&r.results)) {
    if (s->quality) {
      rouge1 = s->quality->rouge1.fmeasure;
      rouge2 = s->quality->rouge2.fmeasure;
      rouge_l = s->quality->rouge_l.fmeasure;
      bleu = s->quality->bleu.score;
    }
    ttft = latency_median(s->latency.ttft);
    tpot = latency_median(s->latency.tpot);
    tpot_p90 = s->latency.tpot.p90;  // withheld below 10 batches
    tokens_per_s = s->latency.tokens_per_s;
    if (s->gpu_telemetry && s->gpu_telemetry->measured) {
      j_per_token = s->gpu_telemetry->j_per_token;
      watts = s->gpu_telemetry->mean_power_w;
    }
  }
  if (const auto* p = std::get_if<report::PerplexityResults>(&r.results)) {
    perplexity = p->quality.perplexity;
    tokens_per_s = p->latency.tokens_per_s;
  }
  if (const report::MemoryInfo* m = memory_of(r); m != nullptr && m->measured)
    peak_mib = static_cast<double>(m->peak_allocated_bytes) / kMiB;
  return {rouge1, rouge2, rouge_l, bleu, perplexity, ttft, tpot, tokens_per_s, peak_mib, tpot_p90, j_per_token, watts};
}

ReportRow row_of(const NamedReport& named) {
  const report::RunReport& r = named.report;
  ReportRow row;
  row.path = named.path;
  row.status = r.status;
  row.variant = r.attention ? r.attention->variant : r.header.config.value("variant", std::string());
  row.device = device_model(r).value_or("");
  row.kernel = r.attention ? r.attention->kernel : "";
  row.values = values_of(r);
  return row;
}

}  // namespace

const std::vector<ReportColumn>& report_columns() {
  static const std::vector<ReportColumn> columns = {
      {"rouge1", "ROUGE-1", 4},          {"rouge2", "ROUGE-2", 4},         {"rougeL", "ROUGE-L", 4},
      {"bleu", "BLEU", 2},               {"perplexity", "perplexity", 3},  {"ttft_ms", "TTFT p50 (ms)", 3},
      {"tpot_ms", "TPOT p50 (ms)", 3},   {"tokens_per_s", "tokens/s", 1},  {"peak_allocated_mib", "peak alloc (MiB)", 1},
      // Appended (schema minor 5), so that the CSV's earlier columns keep their places.
      {"tpot_p90_ms", "TPOT p90 (ms)", 3}, {"j_per_token", "J/token", 4},    {"mean_power_w", "avg W", 1},
  };
  return columns;
}

NamedReport load_run_report(const std::string& path) {
  CompareInput input = load_compare_input(path);
  if (input.kind != InputKind::kRun)
    throw UsageError(fmt::format("{} is a sweep, not a run report (gptbench run --out): gptbench report takes run "
                                 "reports; a sweep's own summaries are its .md and .csv files",
                                 path));
  return {path, std::move(input.report)};
}

ReportTable make_report_table(const std::vector<NamedReport>& reports) {
  ReportTable table;
  for (const NamedReport& named : reports) {
    ReportRow row = row_of(named);
    if (row.status != "ok")
      table.notes.push_back(fmt::format("{}: the run failed: {}", named.path, named.report.error.value_or("no message")));
    if (!table.rows.empty() && row.status == "ok") {
      const ReportRow& first = table.rows.front();
      row.ratios.resize(row.values.size());
      for (size_t i = 0; i < row.values.size(); ++i)
        if (row.values[i] && first.values[i] && *first.values[i] != 0) row.ratios[i] = *row.values[i] / *first.values[i];
      std::vector<std::string> differences;
      for (const ConfigDifference& d : config_differences(reports.front().report, named.report))
        differences.push_back(to_string(d));
      if (!differences.empty())
        table.notes.push_back(fmt::format("{} differs from {}: {}", named.path, first.path, fmt::join(differences, "; ")));
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

}  // namespace gptbench::compare
