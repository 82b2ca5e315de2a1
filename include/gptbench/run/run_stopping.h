// When `gptbench run` stops timing batches: nvbench's rule (bench/stopping_rule.h) over the timed
// batches, the per-batch metric being each batch's end-to-end latency. --min-batches, --min-time
// (seconds of timed work), --max-noise (relative std dev), --max-time (seconds of wall time),
// --max-batches. By default the minimum is one pass over the prompts, so a run without these flags
// times every batch once, as before; a larger minimum, or a noise bound not met by then, repeats the
// prompts from the first (quality is scored on each prompt's first generation).
#pragma once

#include <cstdint>   // int64_t
#include <optional>  // std::optional
#include <string>    // std::string

#include "gptbench/bench/stopping_rule.h"           // StoppingRule, StoppingFlags
#include "gptbench/report/summarization_blocks.h"  // StoppingInfo, StoppingRuleInfo

namespace gptbench::run {

// As given; none set: one pass.
struct RunStoppingFlags {
  std::optional<int64_t> min_batches, max_batches;
  double min_time_s = 0, max_noise = 0, max_time_s = 0;  // 0: off
  bool given() const;  // any flag set (the config echoes them then)
};

inline constexpr bench::StoppingFlags kRunStoppingFlagNames{"--min-batches", "--min-time", "--max-noise",
                                                            "--max-time", "--max-batches"};

// The rule for a workload of `pass_batches` batches (>= 1): min batches --min-batches, else one pass
// capped by --max-batches; no --max-batches: no cap. UsageError naming the flag when it cannot hold.
bench::StoppingRule run_stopping_rule(const RunStoppingFlags& flags, int64_t pass_batches);

// The report's latency.stopping from the rule and what the timing loop saw.
report::StoppingInfo stopping_info(const bench::StoppingRule& rule, const std::string& reason, int64_t batches,
                                   int64_t samples, double noise, double elapsed_s);

}  // namespace gptbench::run
