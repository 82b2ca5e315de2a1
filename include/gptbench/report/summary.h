// The summary of a series of measurements (latencies, step times, prompt lengths) as every report
// holds it: the raw samples beside their mean, std and percentiles. bench::summarize makes one.
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>   // int64_t
#include <optional>  // std::optional
#include <vector>    // std::vector

#include "gptbench/report/json_fields.h"  // JsonFields

namespace gptbench::report {

// A tail percentile needs enough samples behind it: p90 from kMinSamplesP90 on, p99 from kMinSamplesP99
// (below that the highest samples are the percentile, and a table would show noise as a tail).
inline constexpr int64_t kMinSamplesP90 = 10;
inline constexpr int64_t kMinSamplesP99 = 100;

struct Summary {
  std::vector<double> samples;  // in the order measured
  int64_t n = 0;
  double mean = 0, std = 0, min = 0, p50 = 0, max = 0;  // std: sample std (n - 1)
  std::optional<double> p90, p99;  // empty (null in JSON) below kMinSamplesP90 / kMinSamplesP99 samples
};

// Whether a summary's JSON lists its samples (latencies do; per-step and per-prompt summaries do not).
enum class RawSamples { kInclude, kOmit };

// {"n", "mean", "std", "min", "p50", "p90", "p99", "max", "samples"} (samples only with kInclude; p90, p99
// null when n is too small for them; reports written before schema minor 5 always have numbers there).
nlohmann::json to_json(const Summary& summary, RawSamples raw = RawSamples::kInclude);
// Reads samples only with kInclude (then required).
void from_json(const JsonFields& in, Summary& summary, RawSamples raw);

}  // namespace gptbench::report
