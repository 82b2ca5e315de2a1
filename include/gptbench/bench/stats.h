// Summary statistics of timing samples: raw samples kept beside mean, std, percentiles.
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <vector>  // std::vector

namespace gptbench::bench {

struct Summary {
  std::vector<double> samples;  // in the order measured
  int64_t n = 0;
  double mean = 0, std = 0, min = 0, p50 = 0, p90 = 0, p99 = 0, max = 0;  // std: sample std (n - 1)
};

// Percentiles interpolate linearly between order statistics (numpy's default "linear" method).
Summary summarize(std::vector<double> samples);
double percentile(std::vector<double> sorted, double q);  // q in [0, 100]; `sorted` ascending

// {"n", "mean", "std", "min", "p50", "p90", "p99", "max", "samples"} (samples only with RawSamples::kInclude).
enum class RawSamples { kInclude, kOmit };
nlohmann::json to_json(const Summary& s, RawSamples raw = RawSamples::kInclude);

}  // namespace gptbench::bench
