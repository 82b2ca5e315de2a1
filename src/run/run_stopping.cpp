// `gptbench run`'s stopping rule (run_stopping.h).
#include "gptbench/run/run_stopping.h"  // this file's declarations

#include <fmt/format.h>  // fmt::format

#include <algorithm>  // std::min
#include <cmath>      // std::isfinite
#include <limits>     // std::numeric_limits

#include "gptbench/util/error.h"  // UsageError

namespace gptbench::run {
namespace {

// StoppingRule counts in int; a --min/--max-batches past it is refused rather than wrapped.
int batch_count(int64_t value, const char* flag) {
  if (value < 1 || value > std::numeric_limits<int>::max())
    throw UsageError(fmt::format("{} must be between 1 and {}, got {}", flag, std::numeric_limits<int>::max(), value));
  return static_cast<int>(value);
}

}  // namespace

bool RunStoppingFlags::given() const {
  return min_batches || max_batches || min_time_s != 0 || max_noise != 0 || max_time_s != 0;
}

bench::StoppingRule run_stopping_rule(const RunStoppingFlags& flags, int64_t pass_batches) {
  // Seconds on the command line: checked before they become the rule's milliseconds, so that the
  // message shows the value as typed.
  if (!(flags.min_time_s >= 0) || !std::isfinite(flags.min_time_s))
    throw UsageError(fmt::format("{} must be >= 0, got {}", kRunStoppingFlagNames.min_time, flags.min_time_s));
  bench::StoppingRule rule;
  rule.max_runs = flags.max_batches ? batch_count(*flags.max_batches, kRunStoppingFlagNames.max_runs)
                                    : std::numeric_limits<int>::max();
  const int pass = batch_count(pass_batches, "the batches of one pass");
  rule.min_runs = flags.min_batches ? batch_count(*flags.min_batches, kRunStoppingFlagNames.min_runs)
                                    : std::min(pass, rule.max_runs);
  rule.min_time_ms = flags.min_time_s * 1000.0;
  rule.max_noise = flags.max_noise;
  rule.max_time_s = flags.max_time_s;
  bench::check_stopping_rule(rule, kRunStoppingFlagNames);
  return rule;
}

report::StoppingInfo stopping_info(const bench::StoppingRule& rule, const std::string& reason, int64_t batches,
                                   int64_t samples, double noise, double elapsed_s) {
  report::StoppingInfo s;
  s.rule.min_batches = rule.min_runs;
  s.rule.min_time_s = rule.min_time_ms / 1000.0;
  s.rule.max_noise = rule.max_noise;
  s.rule.max_time_s = rule.max_time_s;
  if (rule.max_runs != std::numeric_limits<int>::max()) s.rule.max_batches = rule.max_runs;
  // "max_runs" is attn-bench's word; a minimum capped by --max-batches also stopped at the cap.
  s.reason = reason == "max_runs" || batches >= rule.max_runs ? "max_batches" : reason;
  s.batches = batches;
  s.samples = samples;
  s.noise = noise;
  s.elapsed_s = elapsed_s;
  return s;
}

}  // namespace gptbench::run
