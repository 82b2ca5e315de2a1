// `gptbench compare BASE NEW`: two run reports, or two sweeps cell by cell (cells matched by their
// "cell" object), against the thresholds. Cells present on one side only are listed. A failure is
// a metric that regressed beyond its threshold (and, for latencies, beyond the noise: noise.h), a
// NEW run or cell that failed, a cell that ran in BASE but is skipped or missing in NEW. Refused
// outright: configs that differ (config_diff.h) and reports of two GPU models (device_model.h),
// each unless its policy allows it.
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>  // int64_t
#include <string>   // std::string
#include <vector>   // std::vector

#include "gptbench/compare/compare_input.h"      // CompareInput, InputKind
#include "gptbench/compare/config_diff.h"        // ConfigDifference
#include "gptbench/compare/metric_comparison.h"  // MetricComparison
#include "gptbench/compare/threshold.h"          // Thresholds

namespace gptbench::compare {

inline constexpr int kComparisonSchemaVersion = 1;

// Whether reports whose configs differ (config_diff.h) are compared anyway.
enum class ConfigDiffPolicy { kRefuse, kAllow };
// Whether reports measured on two GPU models (device_model.h) are compared anyway.
enum class DeviceDiffPolicy { kRefuse, kAllow };

enum class CellOutcome {
  kCompared,    // both ran: metrics compared
  kBaseNotOk,   // BASE skipped or failed the cell: nothing to compare against (listed, not a failure)
  kNewFailed,   // BASE ran, NEW failed: a failure
  kNewSkipped,  // BASE ran, NEW skipped: a failure
  kOnlyInBase,  // missing from NEW: a failure
  kOnlyInNew,   // new cell: listed, not a failure
};

std::string outcome_name(CellOutcome outcome);  // "compared", "base-not-ok", "new-failed", ...

struct CellComparison {
  std::string label;    // "run" for two run reports, else the sweep's cell key
  nlohmann::json cell;  // the sweep's cell object; null for run reports
  CellOutcome outcome = CellOutcome::kCompared;
  std::string message;  // why a cell was not compared
  std::vector<MetricComparison> metrics;
  std::vector<std::string> notes;  // metrics not compared and why
};

// A config difference and in how many compared cells it occurs (1 for run reports).
struct SeenDifference {
  ConfigDifference difference;
  int64_t cells = 0;
};

// BASE and NEW measured on two device models, and in how many compared cells (1 for run reports).
struct DeviceDifference {
  std::string base, current;  // device_model(): "NVIDIA H100 80GB HBM3", "cpu"
  int64_t cells = 0;
};

struct Comparison {
  std::string base_path, new_path;
  InputKind kind = InputKind::kRun;
  Thresholds thresholds;
  ConfigDiffPolicy policy = ConfigDiffPolicy::kRefuse;
  DeviceDiffPolicy device_policy = DeviceDiffPolicy::kRefuse;
  std::vector<SeenDifference> config_differences;
  std::vector<DeviceDifference> device_differences;
  std::vector<std::string> notes;  // code version and environment differences, input notes
  std::vector<CellComparison> cells;
  std::vector<std::string> failures;  // one line each

  bool config_refused() const { return !config_differences.empty() && policy == ConfigDiffPolicy::kRefuse; }
  bool device_refused() const { return !device_differences.empty() && device_policy == DeviceDiffPolicy::kRefuse; }
  bool refused() const { return config_refused() || device_refused(); }
  std::string verdict() const;  // "refused", "regressed" or "ok"
};

// Throws UsageError when one input is a run report and the other a sweep (naming both files), or
// when the BASE run report failed ("status": "error": nothing to compare against). A device model
// that one side does not record is not checked (a note says so).
Comparison compare_inputs(const CompareInput& base, const CompareInput& current, const Thresholds& thresholds,
                          ConfigDiffPolicy policy, DeviceDiffPolicy device_policy = DeviceDiffPolicy::kRefuse);

// The --json output (docs/compare.md).
nlohmann::json to_json(const Comparison& comparison);

}  // namespace gptbench::compare
