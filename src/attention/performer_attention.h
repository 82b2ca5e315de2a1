// `--variant performer`: FAVOR+ causal linear attention (performer.h), decoding from a
// RecurrentState per layer instead of a KV cache. Every layer shares one draw of the features.
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor

#include <cstdint>  // int64_t, uint64_t
#include <string>   // std::string

#include "gptbench/attention/attention.h"  // AttentionImpl, AttentionSpec, RecurrentState

namespace gptbench::attention {

class PerformerAttention final : public AttentionImpl {
 public:
  explicit PerformerAttention(const AttentionSpec& spec);
  // Prefill within q, k, v (Tq == Tk, keys at positions q_pos0 onwards), from an empty state.
  at::Tensor forward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                     const AttentionPositions& positions, const at::Tensor& slopes) override;
  at::Tensor forward_recurrent(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                               const AttentionPositions& positions, RecurrentState& state) override;
  std::string last_kernel() const override;  // "performer_favor+_m256_chunk64"
  // Draws new features (a state folded with the old ones no longer matches them).
  void redraw(uint64_t seed);

 private:
  const at::Tensor& omega_for(int64_t head_dim);  // (m, D) fp64 on the CPU, drawn for this head size

  int64_t features_;
  uint64_t seed_;
  at::Tensor omega_;  // undefined until the first call (the head size is known then)
};

}  // namespace gptbench::attention
