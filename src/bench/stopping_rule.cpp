// The stopping rule (stopping_rule.h).
#include "gptbench/bench/stopping_rule.h"  // this file's declarations

#include <fmt/format.h>  // fmt::format

#include <cmath>    // std::sqrt, std::isfinite
#include <numeric>  // std::accumulate

#include "gptbench/util/error.h"  // UsageError

namespace gptbench::bench {

double relative_noise(const std::vector<double>& samples) {
  if (samples.size() < 2) return 0;
  const double n = static_cast<double>(samples.size());
  const double mean = std::accumulate(samples.begin(), samples.end(), 0.0) / n;
  if (mean == 0) return 0;
  double squares = 0;
  for (double s : samples) squares += (s - mean) * (s - mean);
  return std::sqrt(squares / (n - 1)) / mean;
}

std::optional<std::string> stop_reason(const StoppingRule& rule, const std::vector<double>& samples_ms,
                                       double elapsed_s) {
  const int runs = static_cast<int>(samples_ms.size());
  const double timed_ms = std::accumulate(samples_ms.begin(), samples_ms.end(), 0.0);
  const bool minimums = runs >= rule.min_runs && timed_ms >= rule.min_time_ms;
  if (minimums && rule.max_noise <= 0) return "min_time";
  if (minimums && relative_noise(samples_ms) <= rule.max_noise) return "max_noise";
  if (runs >= rule.max_runs) return "max_runs";
  if (rule.max_time_s > 0 && elapsed_s >= rule.max_time_s) return "max_time";
  return std::nullopt;
}

void check_stopping_rule(const StoppingRule& rule, const StoppingFlags& flags) {
  if (rule.min_runs < 1) throw UsageError(fmt::format("{} must be at least 1, got {}", flags.min_runs, rule.min_runs));
  if (rule.max_runs < rule.min_runs)
    throw UsageError(fmt::format("{} {} is below {} {}", flags.max_runs, rule.max_runs, flags.min_runs, rule.min_runs));
  auto non_negative = [](double value, const char* flag) {
    if (!(value >= 0) || !std::isfinite(value)) throw UsageError(fmt::format("{} must be >= 0, got {}", flag, value));
  };
  non_negative(rule.min_time_ms, flags.min_time);
  non_negative(rule.max_noise, flags.max_noise);
  non_negative(rule.max_time_s, flags.max_time);
}

}  // namespace gptbench::bench
