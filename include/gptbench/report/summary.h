// The summary of a series of measurements (latencies, step times, prompt lengths) as every report
// holds it: the raw samples beside their mean, std and percentiles. bench::summarize makes one.
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>  // int64_t
#include <vector>   // std::vector

#include "gptbench/report/json_fields.h"  // JsonFields

namespace gptbench::report {

struct Summary {
  std::vector<double> samples;  // in the order measured
  int64_t n = 0;
  double mean = 0, std = 0, min = 0, p50 = 0, p90 = 0, p99 = 0, max = 0;  // std: sample std (n - 1)
};

// Whether a summary's JSON lists its samples (latencies do; per-step and per-prompt summaries do not).
enum class RawSamples { kInclude, kOmit };

// {"n", "mean", "std", "min", "p50", "p90", "p99", "max", "samples"} (samples only with kInclude).
nlohmann::json to_json(const Summary& summary, RawSamples raw = RawSamples::kInclude);
// Reads samples only with kInclude (then required).
void from_json(const JsonFields& in, Summary& summary, RawSamples raw);

}  // namespace gptbench::report
