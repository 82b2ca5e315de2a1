// Timing statistics.
#include "gptbench/bench/stats.h"

#include <algorithm>  // std::sort
#include <cmath>      // std::sqrt, std::floor
#include <numeric>    // std::accumulate

namespace gptbench::bench {

double percentile(std::vector<double> sorted, double q) {
  if (sorted.empty()) return 0.0;
  const double rank = q / 100.0 * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - static_cast<double>(lo));
}

Summary summarize(std::vector<double> samples) {
  Summary s;
  s.samples = samples;
  s.n = static_cast<int64_t>(samples.size());
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(s.n);
  double ss = 0;
  for (double x : samples) ss += (x - s.mean) * (x - s.mean);
  s.std = s.n > 1 ? std::sqrt(ss / static_cast<double>(s.n - 1)) : 0.0;
  s.min = samples.front();
  s.max = samples.back();
  s.p50 = percentile(samples, 50);
  if (s.n >= report::kMinSamplesP90) s.p90 = percentile(samples, 90);
  if (s.n >= report::kMinSamplesP99) s.p99 = percentile(samples, 99);
  return s;
}

}  // namespace gptbench::bench
