// Sample spread for the latency noise rule (see noise.h for the rule and why).
#include "gptbench/compare/noise.h"  // this file's declarations

#include <algorithm>  // std::sort, std::max, std::min
#include <cmath>      // std::floor

namespace gptbench::compare {

double quantile(std::vector<double> samples, double q) {
  if (samples.empty()) return 0.0;
  std::sort(samples.begin(), samples.end());
  const double rank = q * static_cast<double>(samples.size() - 1);
  const size_t below = static_cast<size_t>(std::floor(rank));
  const size_t above = std::min(below + 1, samples.size() - 1);
  return samples[below] + (samples[above] - samples[below]) * (rank - static_cast<double>(below));
}

double interquartile_range(const std::vector<double>& samples) {
  return quantile(samples, 0.75) - quantile(samples, 0.25);
}

std::optional<double> latency_spread(const std::vector<double>& base, const std::vector<double>& current,
                                     int64_t min_samples) {
  if (static_cast<int64_t>(base.size()) < min_samples || static_cast<int64_t>(current.size()) < min_samples)
    return std::nullopt;
  return std::max(interquartile_range(base), interquartile_range(current));
}

}  // namespace gptbench::compare
