// Text rendering of a comparison.
#include "gptbench/compare/comparison_table.h"  // this file's declarations

#include <fmt/format.h>  // fmt::format, fmt::format_to
#include <fmt/ranges.h>  // fmt::join

#include <iterator>  // std::back_inserter

namespace gptbench::compare {
namespace {

std::string threshold_line(const Thresholds& t) {
  const std::string latency =
      t.latency_metrics.empty()
          ? std::string("latency not compared")
          : fmt::format("latency p50 +{:g}% ({}; a change within the larger IQR is noisy, >= {} samples)",
                        t.max_latency_regression * 100, fmt::join(t.latency_metrics, ", "), t.min_samples);
  const std::string quality = t.quality_metrics.empty() ? std::string("quality not compared")
                                                        : fmt::format("quality -{:g} ({}; 0-1 scale, BLEU/100)",
                                                                      t.max_quality_drop, fmt::join(t.quality_metrics, ", "));
  return fmt::format("thresholds: {}, peak allocated +{:g}%, {}\n", latency, t.max_memory_regression * 100, quality);
}

}  // namespace

std::string format_comparison(const Comparison& c) {
  std::string out;
  auto it = std::back_inserter(out);
  fmt::format_to(it, "compare BASE {} vs NEW {} ({}s)\n", c.base_path, c.new_path, input_kind_name(c.kind));
  out += threshold_line(c.thresholds);
  if (!c.device_differences.empty()) {
    fmt::format_to(it, "GPU models differ ({}):\n",
                   c.device_refused() ? "refused: timings of two GPU models are not comparable; --allow-device-diff "
                                        "compares anyway"
                                      : "allowed by --allow-device-diff");
    for (const DeviceDifference& d : c.device_differences)
      fmt::format_to(it, "  {} vs {}{}\n", d.base, d.current,
                     c.kind == InputKind::kSweep ? fmt::format("  [{} cells]", d.cells) : std::string());
  }
  if (!c.config_differences.empty()) {
    fmt::format_to(it, "configs differ ({}):\n",
                   c.config_refused() ? "refused; --allow-config-diff compares anyway" : "allowed by --allow-config-diff");
    for (const SeenDifference& s : c.config_differences)
      fmt::format_to(it, "  {}{}\n", to_string(s.difference),
                     c.kind == InputKind::kSweep ? fmt::format("  [{} cells]", s.cells) : std::string());
  }
  if (!c.refused()) {
    for (const CellComparison& cell : c.cells) {
      if (cell.outcome != CellOutcome::kCompared) {
        fmt::format_to(it, "\n[{}] {}: {}\n", cell.label, outcome_name(cell.outcome), cell.message);
        continue;
      }
      fmt::format_to(it, "\n[{}]\n  {:<38} {:>12} {:>12} {:>10}  {:<9}  {}\n", cell.label, "metric", "base", "new",
                     "change", "verdict", "why");
      for (const MetricComparison& m : cell.metrics) {
        std::string row = fmt::format("  {:<38} {:>12} {:>12} {:>10}  {:<9}  {}", display_name(m), display_value(m, m.base),
                                      display_value(m, m.current), display_change(m), verdict_name(m.verdict), m.note);
        row.erase(row.find_last_not_of(' ') + 1);
        out += row + "\n";
      }
      for (const std::string& note : cell.notes) fmt::format_to(it, "  note: {}\n", note);
    }
  }
  if (!c.notes.empty()) {
    out += "\nnotes:\n";
    for (const std::string& note : c.notes) fmt::format_to(it, "  {}\n", note);
  }
  if (c.refused()) {
    const char* why = !c.device_refused() ? "the configs differ"
                      : c.config_refused() ? "the GPU models and the configs differ"
                                           : "the GPU models differ";
    fmt::format_to(it, "\nresult: refused ({})\n", why);
  } else if (c.failures.empty()) {
    out += "\nresult: ok\n";
  } else {
    fmt::format_to(it, "\nresult: regressed ({} failure{})\n", c.failures.size(), c.failures.size() == 1 ? "" : "s");
    for (const std::string& f : c.failures) fmt::format_to(it, "  {}\n", f);
  }
  return out;
}

}  // namespace gptbench::compare
