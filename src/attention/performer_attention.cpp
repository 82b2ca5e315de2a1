// The performer variant: FAVOR+ behind the attention interface.
#include "performer_attention.h"

#include <fmt/format.h>  // fmt::format

#include "gptbench/attention/learned_spec.h"  // kPerformerChunk
#include "gptbench/attention/performer.h"     // orthogonal_random_features, favor_causal, empty_recurrent_state
#include "gptbench/util/check.h"              // GPTBENCH_CHECK

namespace gptbench::attention {

PerformerAttention::PerformerAttention(const AttentionSpec& spec)
    : features_(spec.learned.features), seed_(spec.learned.feature_seed) {}

const at::Tensor& PerformerAttention::omega_for(int64_t head_dim) {
  if (!omega_.defined() || omega_.size(1) != head_dim)
    omega_ = orthogonal_random_features(features_, head_dim, seed_);
  return omega_;
}

void PerformerAttention::redraw(uint64_t seed) {
  seed_ = seed;
  omega_ = at::Tensor();
}

at::Tensor PerformerAttention::forward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                       const AttentionPositions& positions, const at::Tensor& /*slopes*/) {
  GPTBENCH_CHECK(q.size(2) == k.size(2) && !positions.key_pos.defined(),
                 "performer attends within its own tokens or from its RecurrentState, never over a KV cache");
  RecurrentState state = empty_recurrent_state(q.size(0), q.size(1), features_, q.size(3), q);
  return forward_recurrent(q, k, v, positions, state);
}

at::Tensor PerformerAttention::forward_recurrent(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                                 const AttentionPositions& positions, RecurrentState& state) {
  return favor_causal(q, k, v, omega_for(q.size(3)), positions, state, kPerformerChunk);
}

std::string PerformerAttention::last_kernel() const {
  return fmt::format("performer_favor+_m{}_chunk{}", features_, kPerformerChunk);
}

}  // namespace gptbench::attention
