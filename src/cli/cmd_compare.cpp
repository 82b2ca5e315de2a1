// gptbench compare BASE NEW: two run reports or two sweeps against regression thresholds. Prints
// the table on stdout; exit 1 when a threshold is crossed or the NEW run failed, 2 when the
// GPU models differ (without --allow-device-diff), the configs differ (without --allow-config-diff)
// or the input is wrong.
#include <fmt/format.h>  // fmt::format, fmt::print

#include <memory>  // std::make_shared

#include "command.h"                                // register_compare_command
#include "gptbench/compare/compare_input.h"         // load_compare_input
#include "gptbench/compare/comparison.h"            // compare_inputs, to_json
#include "gptbench/compare/comparison_table.h"      // format_comparison
#include "gptbench/compare/threshold.h"             // parse_* thresholds, metric names
#include "gptbench/io/json_output.h"                // write_json_atomic
#include "gptbench/io/output_path.h"                // check_output_path
#include "gptbench/util/error.h"                    // Error, UsageError

namespace gptbench::cli {
namespace {

struct CompareFlags {
  std::string base, current, json_out;
  std::string max_latency = "10%", max_memory = "5%", max_quality = "0.005";
  std::string latency_metrics = "ttft,tpot,e2e", quality_metrics = "rougeL,bleu";
  int64_t min_samples = 5;
  bool allow_config_diff = false, allow_device_diff = false;
};

compare::Thresholds thresholds_of(const CompareFlags& f) {
  compare::Thresholds t;
  t.max_latency_regression = compare::parse_relative_threshold("--max-latency-regression", f.max_latency);
  t.max_memory_regression = compare::parse_relative_threshold("--max-memory-regression", f.max_memory);
  t.max_quality_drop = compare::parse_absolute_drop("--max-quality-drop", f.max_quality);
  t.latency_metrics = compare::parse_metric_list("--latency-metrics", f.latency_metrics, compare::kLatencyMetricNames);
  t.quality_metrics = compare::parse_metric_list("--quality-metrics", f.quality_metrics, compare::kQualityMetricNames);
  if (f.min_samples < 2) throw UsageError(fmt::format("--min-samples must be at least 2, got {}", f.min_samples));
  t.min_samples = f.min_samples;
  return t;
}

void run_compare(const CompareFlags& f) {
  const compare::Thresholds thresholds = thresholds_of(f);  // flags first: no file is read for a bad flag
  const compare::CompareInput base = compare::load_compare_input(f.base);
  const compare::CompareInput current = compare::load_compare_input(f.current);
  const compare::Comparison result = compare::compare_inputs(
      base, current, thresholds, f.allow_config_diff ? compare::ConfigDiffPolicy::kAllow : compare::ConfigDiffPolicy::kRefuse,
      f.allow_device_diff ? compare::DeviceDiffPolicy::kAllow : compare::DeviceDiffPolicy::kRefuse);
  fmt::print("{}", compare::format_comparison(result));
  if (!f.json_out.empty()) io::write_json_atomic(f.json_out, compare::to_json(result));
  if (result.device_refused()) {
    const compare::DeviceDifference& d = result.device_differences.front();
    throw UsageError(fmt::format("BASE {} was measured on {} but NEW {} on {}: timings of two GPU models are not "
                                 "comparable; use a baseline of {} or pass --allow-device-diff{}",
                                 f.base, d.base, f.current, d.current, d.current,
                                 result.config_refused() ? " (the configs differ too, listed above)" : ""));
  }
  if (result.config_refused()) {
    const auto& first = result.config_differences.front().difference;
    throw UsageError(fmt::format("configs of {} and {} differ in {} key{} (listed above; first {}): pass "
                                 "--allow-config-diff to compare anyway",
                                 f.base, f.current, result.config_differences.size(),
                                 result.config_differences.size() == 1 ? "" : "s", compare::to_string(first)));
  }
  if (!result.failures.empty())
    throw Error(fmt::format("{} failure{} against {}: {}{}", result.failures.size(),
                            result.failures.size() == 1 ? "" : "s", f.base, result.failures.front(),
                            result.failures.size() > 1 ? " (and more, listed above)" : ""));
}

}  // namespace

void register_compare_command(CLI::App& app) {
  auto f = std::make_shared<CompareFlags>();
  CLI::App* cmd = app.add_subcommand(
      "compare", "Compare two run reports or two sweeps (BASE, NEW) against regression thresholds; exit 1 on a regression");
  cmd->add_option("base", f->base, "BASE: run report (JSON) or sweep (JSONL)")->required();
  cmd->add_option("new", f->current, "NEW: of the same kind as BASE")->required();
  cmd->add_option("--max-latency-regression", f->max_latency, "largest allowed rise of a latency median: 10% or 0.10")
      ->capture_default_str();
  cmd->add_option("--max-memory-regression", f->max_memory, "largest allowed rise of peak allocated memory")
      ->capture_default_str();
  cmd->add_option("--max-quality-drop", f->max_quality, "largest allowed absolute drop of a score (0-1 scale, BLEU/100)")
      ->capture_default_str();
  cmd->add_option("--latency-metrics", f->latency_metrics, "latencies compared by median: ttft,tpot,e2e or none")
      ->capture_default_str();
  cmd->add_option("--quality-metrics", f->quality_metrics, "scores: rouge1,rouge2,rougeL,rougeLsum,bleu or none")
      ->capture_default_str();
  cmd->add_option("--min-samples", f->min_samples, "fewest latency samples a side needs for its spread to be judged")
      ->capture_default_str();
  cmd->add_flag("--allow-config-diff", f->allow_config_diff, "compare even when the configs differ (they are listed)");
  cmd->add_flag("--allow-device-diff", f->allow_device_diff,
                "compare even when BASE and NEW ran on two GPU models (env.gpu; listed)");
  cmd->add_option("--json", f->json_out, "write the comparison as JSON (atomically)");
  cmd->callback([f] {
    io::check_output_path(f->json_out, "--json", {f->base, f->current});
    run_compare(*f);
  });
}

}  // namespace gptbench::cli
