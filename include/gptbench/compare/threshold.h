// The thresholds of `gptbench compare` and the parsing of their flags. Relative thresholds
// (latency, memory) accept "10%" or the fraction "0.10"; a bare number above 1 ("10") is refused
// as ambiguous. The quality threshold is an absolute drop on the 0-1 scale (ROUGE F, BLEU / 100):
// "0.005"; a percentage is refused there, since "0.5%" could mean points or a relative drop.
#pragma once

#include <cstdint>      // int64_t
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

namespace gptbench::compare {

// The metric names the flags accept; each maps to one place in the run report (report_metrics.cpp).
inline const std::vector<std::string> kLatencyMetricNames = {"ttft", "tpot", "e2e"};
inline const std::vector<std::string> kQualityMetricNames = {"rouge1", "rouge2", "rougeL", "rougeLsum", "bleu"};

struct Thresholds {
  double max_latency_regression = 0.10;  // relative increase of a latency median (p50)
  double max_memory_regression = 0.05;   // relative increase of peak allocated bytes
  double max_quality_drop = 0.005;       // absolute drop on the 0-1 scale
  std::vector<std::string> latency_metrics = {"ttft", "tpot", "e2e"};
  std::vector<std::string> quality_metrics = {"rougeL", "bleu"};
  // Below this many samples on either side, the spread of a latency is not estimated (see noise.h).
  int64_t min_samples = 5;
};

// "10%" -> 0.10, "0.1" -> 0.1. Throws UsageError naming `flag` for a negative, non-numeric or
// ambiguous value.
double parse_relative_threshold(std::string_view flag, std::string_view text);

// "0.005" -> 0.005 (absolute, 0-1 scale). Throws UsageError naming `flag` for anything else.
double parse_absolute_drop(std::string_view flag, std::string_view text);

// "ttft,tpot" -> {"ttft", "tpot"}; "none" -> {}. Throws UsageError naming `flag` and the known
// names for an unknown, empty or repeated entry.
std::vector<std::string> parse_metric_list(std::string_view flag, std::string_view text,
                                           const std::vector<std::string>& known);

}  // namespace gptbench::compare
