// The `attention` block (attention_info.h).
#include "gptbench/report/attention_info.h"  // this file's declarations

#include "gptbench/report/field_list.h"  // write_fields, read_fields

namespace gptbench::report {

// Reading takes the unified layout: a key that an older layout lacks reads as null.
constexpr auto kAttentionFields = [](auto& io, auto& a, AttentionLayout layout) {
  io("variant", a.variant)("kernel", a.kernel);
  if (layout == AttentionLayout::kPerplexityV1_0) return;
  if (layout != AttentionLayout::kTrainV1_0) io("prefill_kernel", a.prefill_kernel)("decode_kernel", a.decode_kernel);
  if (layout != AttentionLayout::kRunV1_0) io("backward", a.backward);
  io("alibi", a.alibi)("learned_positions", a.learned_positions)("window", a.window)("global_tokens", a.global_tokens);
};

nlohmann::json to_json(const AttentionInfo& a, AttentionLayout layout) {
  return write_fields(a, kAttentionFields, layout);
}

void from_json(const JsonFields& in, AttentionInfo& a) { read_fields(in, a, kAttentionFields, AttentionLayout::kUnified); }

}  // namespace gptbench::report
