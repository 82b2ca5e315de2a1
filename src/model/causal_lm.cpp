// The family-neutral parts of the model interface (causal_lm.h, model_config.h).
#include "gptbench/model/causal_lm.h"

#include <fmt/format.h>  // fmt::format

#include "gptbench/attention/variant.h"     // variant_name
#include "gptbench/model/gpt2_config.h"     // kGpt2ModelType
#include "gptbench/util/error.h"            // UsageError

namespace gptbench::model {

int64_t context_limit(const ModelShape& shape, const attention::AttentionSpec& spec) {
  return shape.position_table && !spec.uses_learned_positions() ? kMaxAlibiTokens : shape.max_positions;
}

void check_attention_supported(const ModelShape& shape, const attention::AttentionSpec& spec, c10::ScalarType dtype,
                               c10::Device device) {
  if (spec.learned.kind != attention::LearnedKind::kNone && shape.family != kGpt2ModelType)
    throw UsageError(fmt::format("--variant {}: only GPT-2 models run it so far, this model's family is {}",
                                 attention::variant_name(spec), shape.family));
  attention::check_supported(spec, shape.n_head, shape.head_dim, dtype, device, shape.n_kv_head);
}

CacheShape CausalLm::cache_shape(int64_t batch) const {
  const ModelShape& s = shape();
  return {s.n_layer, batch, s.n_kv_head, s.head_dim, dtype(), device()};
}

std::unique_ptr<KvCache> CausalLm::make_cache(const at::Tensor& key_start, int64_t max_len) const {
  return make_kv_cache(cache_shape(key_start.size(0)), spec(), max_len, key_start);
}

}  // namespace gptbench::model
