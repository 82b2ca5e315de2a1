// The `attention` block (attention_info.h).
#include "gptbench/report/attention_info.h"  // this file's declarations

namespace gptbench::report {

nlohmann::json to_json(const AttentionInfo& a, AttentionLayout layout) {
  nlohmann::json j = {{"variant", a.variant}, {"kernel", a.kernel}};
  if (layout == AttentionLayout::kPerplexityV1_0) return j;
  if (layout != AttentionLayout::kTrainV1_0) {
    j["prefill_kernel"] = nullable(a.prefill_kernel);
    j["decode_kernel"] = nullable(a.decode_kernel);
  }
  if (layout != AttentionLayout::kRunV1_0) j["backward"] = nullable(a.backward);
  j["alibi"] = nullable(a.alibi);
  j["learned_positions"] = nullable(a.learned_positions);
  j["window"] = nullable(a.window);
  j["global_tokens"] = nullable(a.global_tokens);
  return j;
}

void from_json(const JsonFields& in, AttentionInfo& a) {
  a.variant = in.string("variant");
  a.kernel = in.string("kernel");
  a.prefill_kernel = in.optional_string("prefill_kernel");
  a.decode_kernel = in.optional_string("decode_kernel");
  a.backward = in.optional_string("backward");
  a.alibi = in.optional_boolean("alibi");
  a.learned_positions = in.optional_boolean("learned_positions");
  a.window = in.optional_integer("window");
  a.global_tokens = in.optional_integer("global_tokens");
}

}  // namespace gptbench::report
