// Reading the compared metrics out of two run reports (which ones: report_metrics.h).
#include "gptbench/compare/report_metrics.h"  // this file's declarations

#include <fmt/format.h>  // fmt::format

#include <initializer_list>  // std::initializer_list

#include "gptbench/util/check.h"  // GPTBENCH_CHECK

namespace gptbench::compare {
namespace {

using nlohmann::json;

// The value under `path`, or nullptr where a key is missing, a parent is no object, or it is null.
const json* find(const json& root, std::initializer_list<const char*> path) {
  const json* node = &root;
  for (const char* key : path) {
    if (!node->is_object() || !node->contains(key)) return nullptr;
    node = &node->at(key);
  }
  return node->is_null() ? nullptr : node;
}

double number(const json* value, const LabeledReport& side, const std::string& key) {
  GPTBENCH_CHECK(value != nullptr, "{}: {} is missing", side.where, key);
  GPTBENCH_CHECK(value->is_number(), "{}: {} must be a number, found {}", side.where, key, value->type_name());
  return value->get<double>();
}

std::vector<double> numbers(const json* array, const LabeledReport& side, const std::string& key) {
  if (array == nullptr) return {};
  GPTBENCH_CHECK(array->is_array(), "{}: {} must be an array of numbers, found {}", side.where, key, array->type_name());
  std::vector<double> out;
  for (const json& x : *array) out.push_back(number(&x, side, key));
  return out;
}

// "both reports", or the file of the side where `present` says it is missing.
std::string missing_in(bool base_present, bool current_present, const LabeledReport& base,
                       const LabeledReport& current) {
  if (!base_present && !current_present) return "both reports";
  return !base_present ? base.where : current.where;
}

void add_latencies(const LabeledReport& base, const LabeledReport& current, const Thresholds& t,
                   std::vector<MetricComparison>& rows, std::vector<std::string>& notes) {
  for (const std::string& name : t.latency_metrics) {
    const std::string key = "latency." + name;
    const json* b = find(base.report, {"latency", name.c_str()});
    const json* c = find(current.report, {"latency", name.c_str()});
    if (b == nullptr || c == nullptr) {
      notes.push_back(fmt::format("{}: not compared, absent in {}", key, missing_in(b, c, base, current)));
      continue;
    }
    const double n_base = number(find(*b, {"n"}), base, key + ".n");
    const double n_current = number(find(*c, {"n"}), current, key + ".n");
    if (n_base == 0 || n_current == 0) {
      notes.push_back(fmt::format("{}: not compared, no samples (n = 0) in {}", key,
                                  missing_in(n_base > 0, n_current > 0, base, current)));
      continue;
    }
    const LatencySamples sb{number(find(*b, {"p50"}), base, key + ".p50"), numbers(find(*b, {"samples"}), base, key)};
    const LatencySamples sc{number(find(*c, {"p50"}), current, key + ".p50"),
                            numbers(find(*c, {"samples"}), current, key)};
    rows.push_back(compare_latency(key + ".p50", sb, sc, t));
  }
}

void add_memory(const LabeledReport& base, const LabeledReport& current, const Thresholds& t,
                std::vector<MetricComparison>& rows, std::vector<std::string>& notes) {
  const std::string key = "memory.peak_allocated_bytes";
  auto measured = [](const LabeledReport& side) {
    const json* m = find(side.report, {"memory", "measured"});
    return m != nullptr && m->is_boolean() && m->get<bool>();
  };
  const bool b = measured(base), c = measured(current);
  if (!b || !c) {
    notes.push_back(fmt::format("{}: not compared, not measured (a CPU run) in {}", key, missing_in(b, c, base, current)));
    return;
  }
  rows.push_back(compare_memory(key, number(find(base.report, {"memory", "peak_allocated_bytes"}), base, key),
                                number(find(current.report, {"memory", "peak_allocated_bytes"}), current, key),
                                t.max_memory_regression));
}

void add_quality(const LabeledReport& base, const LabeledReport& current, const Thresholds& t,
                 std::vector<MetricComparison>& rows, std::vector<std::string>& notes) {
  if (t.quality_metrics.empty()) return;
  const json* qb = find(base.report, {"quality"});
  const json* qc = find(current.report, {"quality"});
  if (qb == nullptr || qc == nullptr) {
    notes.push_back(fmt::format("quality: not compared, none in {} (synthetic prompts or --timing forward)",
                                missing_in(qb, qc, base, current)));
    return;
  }
  for (const std::string& name : t.quality_metrics) {
    // BLEU is reported on sacreBLEU's 0-100 scale; every threshold here is on the 0-1 scale.
    const bool bleu = name == "bleu";
    const char* field = bleu ? "score" : "fmeasure";
    const std::string key = "quality." + name + "." + field;
    const json* vb = find(*qb, {name.c_str(), field});
    const json* vc = find(*qc, {name.c_str(), field});
    if (vb == nullptr || vc == nullptr) {
      notes.push_back(fmt::format("{}: not compared, absent in {}", key, missing_in(vb, vc, base, current)));
      continue;
    }
    const double scale = bleu ? 0.01 : 1.0;
    rows.push_back(compare_quality(bleu ? key + "/100" : key, number(vb, base, key) * scale,
                                   number(vc, current, key) * scale, t.max_quality_drop));
  }
}

}  // namespace

std::vector<MetricComparison> compare_report_metrics(const LabeledReport& base, const LabeledReport& current,
                                                     const Thresholds& thresholds, std::vector<std::string>& notes) {
  std::vector<MetricComparison> rows;
  add_latencies(base, current, thresholds, rows, notes);
  add_memory(base, current, thresholds, rows, notes);
  add_quality(base, current, thresholds, rows, notes);
  return rows;
}

}  // namespace gptbench::compare
