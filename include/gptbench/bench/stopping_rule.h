// When to stop timing one shape, nvbench's way: at least `min_runs` runs and `min_time_ms` of timed
// work, then until the relative standard deviation of the samples (std / mean, "noise") is at most
// `max_noise`, but never past `max_time_s` of wall time or `max_runs` runs. The reason it stopped is
// reported with the sample count, so a row that timed out noisy is visibly not converged.
#pragma once

#include <optional>  // std::optional
#include <string>    // std::string
#include <vector>    // std::vector

namespace gptbench::bench {

struct StoppingRule {
  int min_runs = 20;
  double min_time_ms = 200;  // summed timed work
  double max_noise = 0;      // relative std dev bound (0.01 = 1 %); 0: no noise criterion
  double max_time_s = 0;     // wall-clock bound, warm-up and flushes included; 0: none
  int max_runs = 2000;
};

// Why timing stops now, or nullopt to go on: "min_time" (the minimums reached, no noise bound),
// "max_noise" (the minimums reached and noise <= max_noise), "max_time", "max_runs".
std::optional<std::string> stop_reason(const StoppingRule& rule, const std::vector<double>& samples_ms,
                                       double elapsed_s);

// std / mean of the samples (sample std, n - 1); 0 for fewer than two samples or a zero mean.
double relative_noise(const std::vector<double>& samples);

// The flags that set a rule's fields, for messages: attn-bench counts runs, `gptbench run` batches
// (and takes its times in seconds: --min-time).
struct StoppingFlags {
  const char* min_runs = "--min-runs";
  const char* min_time = "--min-time-ms";
  const char* max_noise = "--max-noise";
  const char* max_time = "--max-time";
  const char* max_runs = "--max-runs";
};

// Throws UsageError naming the flag when the rule cannot hold (min_runs < 1, max_runs < min_runs, a
// negative bound).
void check_stopping_rule(const StoppingRule& rule, const StoppingFlags& flags = {});

}  // namespace gptbench::bench
