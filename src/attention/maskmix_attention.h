// maskmix: a learned per-head mixture of causal windows, added to the scores as a bias
// (docs/variants.md):  score(i, j) += log(sum_w sigmoid(theta[h, w]) * [i - j < win_w]).
// The rest is the standard (explicit, fp32) attention, so a bias of exactly 0 gives exactly it.
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor

#include <cstdint>  // int64_t
#include <string>   // std::string
#include <utility>  // std::pair
#include <vector>   // std::vector

#include "gptbench/attention/attention.h"       // AttentionImpl, AttentionSpec
#include "gptbench/attention/attention_mask.h"  // QueryKeyPositions
#include "standard_attention.h"                 // StandardAttention

namespace gptbench::attention {

// The logit the widest window starts at, and the one every other starts at: sigmoid gives 1.0f and
// 2e-9, whose sum rounds to 1.0f in fp32, so the bias starts at exactly 0 (plain causal attention).
inline constexpr double kMaskMixOpenLogit = 20.0;
inline constexpr double kMaskMixClosedLogit = -20.0;

class MaskMixAttention final : public AttentionImpl {
 public:
  explicit MaskMixAttention(const AttentionSpec& spec);
  at::Tensor forward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                     const AttentionPositions& positions, const at::Tensor& slopes) override;
  std::string last_kernel() const override;  // "maskmix:standard_w1-4-16-64-256-all"
  // {"maskmix_logits", (H, windows) fp32}: the widest window at kMaskMixOpenLogit, the others closed.
  std::vector<std::pair<std::string, at::Tensor>> make_layer_parameters(int64_t n_head, int64_t head_dim) override;

 private:
  // (1, H, Tq, Tk) or (B, H, Tq, Tk) fp32: log of the mixture at each query-key distance.
  at::Tensor bias(const QueryKeyPositions& qk) const;

  std::vector<int64_t> windows_;
  at::Tensor logits_;  // (H, windows); undefined until make_layer_parameters
  StandardAttention standard_;
};

}  // namespace gptbench::attention
