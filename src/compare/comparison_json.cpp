// The --json output of `gptbench compare` (layout: docs/compare.md).
#include "gptbench/compare/comparison.h"  // to_json, Comparison

namespace gptbench::compare {
namespace {

using nlohmann::json;

json to_json(const MetricComparison& m) {
  auto optional = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  json j = {{"metric", m.metric},
            {"unit", m.unit},
            {"base", m.base},
            {"new", m.current},
            {"relative_change", optional(m.relative_change)},
            {"verdict", verdict_name(m.verdict)},
            {"note", m.note}};
  if (m.unit == "ms") {
    j["spread"] = optional(m.spread);
    j["n_base"] = m.n_base;
    j["n_new"] = m.n_current;
  }
  return j;
}

json to_json(const CellComparison& c) {
  json metrics = json::array();
  for (const MetricComparison& m : c.metrics) metrics.push_back(to_json(m));
  return {{"label", c.label}, {"cell", c.cell},       {"outcome", outcome_name(c.outcome)},
          {"message", c.message}, {"metrics", metrics}, {"notes", c.notes}};
}

json to_json(const Thresholds& t) {
  return {{"max_latency_regression", t.max_latency_regression},
          {"max_memory_regression", t.max_memory_regression},
          {"max_quality_drop", t.max_quality_drop},
          {"latency_metrics", t.latency_metrics},
          {"quality_metrics", t.quality_metrics},
          {"min_samples", t.min_samples}};
}

}  // namespace

json to_json(const Comparison& c) {
  json differences = json::array();
  for (const SeenDifference& s : c.config_differences)
    differences.push_back(
        {{"key", s.difference.key}, {"base", s.difference.base}, {"new", s.difference.current}, {"cells", s.cells}});
  json devices = json::array();
  for (const DeviceDifference& d : c.device_differences)
    devices.push_back({{"base", d.base}, {"new", d.current}, {"cells", d.cells}});
  json cells = json::array();
  for (const CellComparison& cell : c.cells) cells.push_back(to_json(cell));
  return {{"schema_version", kComparisonSchemaVersion},
          {"verdict", c.verdict()},
          {"kind", input_kind_name(c.kind)},
          {"base", c.base_path},
          {"new", c.new_path},
          {"thresholds", to_json(c.thresholds)},
          {"allow_config_diff", c.policy == ConfigDiffPolicy::kAllow},
          {"config_differences", differences},
          {"allow_device_diff", c.device_policy == DeviceDiffPolicy::kAllow},
          {"device_differences", devices},
          {"notes", c.notes},
          {"cells", cells},
          {"failures", c.failures}};
}

}  // namespace gptbench::compare
