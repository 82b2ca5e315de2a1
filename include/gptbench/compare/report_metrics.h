// The compared metrics of two run reports with "status": "ok": the latency medians named by
// --latency-metrics (latency.<name>.p50 with its samples), peak allocated memory
// (memory.peak_allocated_bytes, when measured), and the quality scores named by --quality-metrics
// (quality.<rouge>.fmeasure, quality.bleu.score / 100), and, shown but never gated, the energy per
// generated token and mean power where both runs measured them. What cannot be compared (absent, not
// measured on the CPU, no samples, a perplexity run's blocks) becomes a note, never a silent gap.
#pragma once

#include <string>  // std::string
#include <vector>  // std::vector

#include "gptbench/compare/metric_comparison.h"  // MetricComparison
#include "gptbench/compare/threshold.h"          // Thresholds
#include "gptbench/report/run_report.h"          // RunReport

namespace gptbench::compare {

// A report and where it came from ("FILE" or "FILE:LINE"), for error messages.
struct LabeledReport {
  const report::RunReport& report;
  const std::string& where;
};

std::vector<MetricComparison> compare_report_metrics(const LabeledReport& base, const LabeledReport& current,
                                                     const Thresholds& thresholds, std::vector<std::string>& notes);

}  // namespace gptbench::compare
