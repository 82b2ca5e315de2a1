// One compared metric: base and new value, relative change and verdict, by the rule of its kind
// (latency medians with the noise rule of noise.h, peak memory relative, quality absolute).
#pragma once

#include <cstdint>   // int64_t
#include <optional>  // std::optional
#include <string>    // std::string
#include <vector>    // std::vector

#include "gptbench/compare/threshold.h"  // Thresholds

namespace gptbench::compare {

// kNoisy: beyond the threshold, but within the spread of the samples (noise.h); not a failure.
enum class Verdict { kOk, kRegressed, kImproved, kNoisy };

std::string verdict_name(Verdict verdict);  // "ok", "regressed", "improved", "noisy"

struct MetricComparison {
  std::string metric;  // where the value is in the report: "latency.ttft.p50", "quality.bleu.score/100", ...
  std::string unit;    // "ms", "bytes", "score" (0-1), "J/token", "W"
  double base = 0, current = 0;
  std::optional<double> relative_change;  // (current - base) / base; absent when base is 0
  Verdict verdict = Verdict::kOk;
  std::string note;  // why the verdict, when it is not plain: spread, too few samples
  // Latencies only: the spread that a change must exceed (absent: too few samples), sample counts.
  std::optional<double> spread;
  int64_t n_base = 0, n_current = 0;
};

// A latency summary: its median and the raw per-batch samples (may be empty: spread not judged).
struct LatencySamples {
  double median = 0;
  std::vector<double> samples;
};

MetricComparison compare_latency(const std::string& metric, const LatencySamples& base, const LatencySamples& current,
                                 const Thresholds& thresholds);
MetricComparison compare_memory(const std::string& metric, double base_bytes, double current_bytes,
                                double max_regression);
// Scores on the 0-1 scale; higher is better.
MetricComparison compare_quality(const std::string& metric, double base, double current, double max_drop);

// Energy (J/token) or power (W): the relative change shown, the verdict always ok (not gated: energy
// follows the clocks and the power limit of the machine more than the code).
MetricComparison compare_energy(const std::string& metric, const std::string& unit, double base, double current);

// How the table and the failure lines show a metric: "latency.ttft.p50 (ms)", a value in that unit
// (bytes as MiB), and the change the way its threshold counts it (relative "+20.00%" for latency and
// memory, absolute "-0.0100" for scores).
std::string display_name(const MetricComparison& m);
std::string display_value(const MetricComparison& m, double value);
std::string display_change(const MetricComparison& m);

}  // namespace gptbench::compare
