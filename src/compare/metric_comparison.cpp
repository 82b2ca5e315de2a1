// Verdicts of single metrics.
#include "gptbench/compare/metric_comparison.h"  // this file's declarations

#include <fmt/format.h>  // fmt::format

#include <cmath>  // std::abs

#include "gptbench/compare/noise.h"  // latency_spread

namespace gptbench::compare {
namespace {

// Thresholds are crossed strictly; this keeps a change that equals the threshold on paper (0.005
// drop, 10% slower) from failing through the last bit of a double.
constexpr double kRoundingSlack = 1e-12;
constexpr double kBytesPerMiB = 1024.0 * 1024.0;

std::optional<double> relative(double base, double current) {
  if (base == 0) return std::nullopt;
  return (current - base) / base;
}

// Which way a relative change leaves the band [-limit, +limit]; a change from 0 leaves it upwards.
Verdict relative_verdict(double base, double current, double limit) {
  const std::optional<double> change = relative(base, current);
  if (!change) return current > 0 ? Verdict::kRegressed : Verdict::kOk;
  if (*change > limit + kRoundingSlack) return Verdict::kRegressed;
  if (*change < -limit - kRoundingSlack) return Verdict::kImproved;
  return Verdict::kOk;
}

MetricComparison row(const std::string& metric, const std::string& unit, double base, double current) {
  MetricComparison m;
  m.metric = metric;
  m.unit = unit;
  m.base = base;
  m.current = current;
  m.relative_change = relative(base, current);
  return m;
}

}  // namespace

std::string verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::kOk: return "ok";
    case Verdict::kRegressed: return "regressed";
    case Verdict::kImproved: return "improved";
    case Verdict::kNoisy: return "noisy";
  }
  return "ok";
}

MetricComparison compare_latency(const std::string& metric, const LatencySamples& base, const LatencySamples& current,
                                 const Thresholds& thresholds) {
  MetricComparison m = row(metric, "ms", base.median, current.median);
  m.n_base = static_cast<int64_t>(base.samples.size());
  m.n_current = static_cast<int64_t>(current.samples.size());
  m.spread = latency_spread(base.samples, current.samples, thresholds.min_samples);
  m.verdict = relative_verdict(base.median, current.median, thresholds.max_latency_regression);
  const double change = std::abs(current.median - base.median);
  if (!m.spread) {
    m.note = fmt::format("spread not judged: {} and {} samples, fewer than {}", m.n_base, m.n_current,
                         thresholds.min_samples);
  } else if (m.verdict != Verdict::kOk) {
    if (change <= *m.spread) {
      m.note = fmt::format("median change {:.4g} ms within the spread (larger IQR) {:.4g} ms", change, *m.spread);
      m.verdict = Verdict::kNoisy;
    } else {
      m.note = fmt::format("median change {:.4g} ms beyond the spread (larger IQR) {:.4g} ms", change, *m.spread);
    }
  }
  return m;
}

MetricComparison compare_memory(const std::string& metric, double base_bytes, double current_bytes,
                                double max_regression) {
  MetricComparison m = row(metric, "bytes", base_bytes, current_bytes);
  m.verdict = relative_verdict(base_bytes, current_bytes, max_regression);
  return m;
}

MetricComparison compare_quality(const std::string& metric, double base, double current, double max_drop) {
  MetricComparison m = row(metric, "score", base, current);
  if (base - current > max_drop + kRoundingSlack) {
    m.verdict = Verdict::kRegressed;
  } else if (current - base > max_drop + kRoundingSlack) {
    m.verdict = Verdict::kImproved;
  }
  return m;
}

MetricComparison compare_energy(const std::string& metric, const std::string& unit, double base, double current) {
  MetricComparison m = row(metric, unit, base, current);
  m.note = "not gated";
  return m;
}

std::string display_name(const MetricComparison& m) {
  return fmt::format("{} ({})", m.metric, m.unit == "bytes" ? "MiB" : m.unit);
}

std::string display_value(const MetricComparison& m, double value) {
  if (m.unit == "bytes") return fmt::format("{:.1f}", value / kBytesPerMiB);
  if (m.unit == "ms") return fmt::format("{:.3f}", value);
  return fmt::format("{:.4f}", value);
}

std::string display_change(const MetricComparison& m) {
  if (m.unit == "score") return fmt::format("{:+.4f}", m.current - m.base);
  return m.relative_change ? fmt::format("{:+.2f}%", *m.relative_change * 100) : std::string("from 0");
}

}  // namespace gptbench::compare
