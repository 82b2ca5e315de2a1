// The `attention` block of every report (run, perplexity, train): which variant ran and which
// kernels really computed it. One type for all three; what does not apply is null:
//   prefill_kernel, decode_kernel: greedy generation only (null for perplexity, training, beam
//     search and --timing forward);
//   backward: training only.
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>   // int64_t
#include <optional>  // std::optional
#include <string>    // std::string

#include "gptbench/report/json_fields.h"  // JsonFields

namespace gptbench::report {

struct AttentionInfo {
  std::string variant;  // canonical name
  std::string kernel;   // what ran in the decode steps, or the last forward
  std::optional<std::string> prefill_kernel, decode_kernel, backward;
  // The variant's settings. Absent only in perplexity reports of schema minor 0.
  std::optional<bool> alibi, learned_positions;
  std::optional<int64_t> window, global_tokens;
};

// Which keys the block has. kUnified: all nine (schema minor 1 on). Reports of minor 0 wrote one
// shape per command, and are written back in it, so that an old report reads and writes unchanged.
enum class AttentionLayout { kUnified, kRunV1_0, kPerplexityV1_0, kTrainV1_0 };

nlohmann::json to_json(const AttentionInfo& attention, AttentionLayout layout = AttentionLayout::kUnified);
void from_json(const JsonFields& in, AttentionInfo& attention);

}  // namespace gptbench::report
