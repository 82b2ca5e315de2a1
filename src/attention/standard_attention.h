// The readable reference: explicit QK^T * scale, mask and bias, softmax in fp32, then V.
// Sliding windows are computed in query chunks over banded keys (blocked_attention.h), so
// cost and memory grow with Tq * W; Blocking::kDense is the brute-force full-mask reference.
#pragma once

#include <functional>  // std::function
#include <utility>     // std::move

#include "blocked_attention.h"                  // Blocking
#include "gptbench/attention/attention.h"       // AttentionImpl, AttentionSpec
#include "gptbench/attention/attention_mask.h"  // QueryKeyPositions

namespace gptbench::attention {

// An additive fp32 score bias of a block's positions, broadcastable to (B, H, Tq, Tk) (maskmix's).
using ScoreBias = std::function<at::Tensor(const QueryKeyPositions& qk)>;

class StandardAttention final : public AttentionImpl {
 public:
  explicit StandardAttention(const AttentionSpec& spec, Blocking blocking = Blocking::kAuto, ScoreBias bias = {})
      : spec_(spec), blocking_(blocking), bias_(std::move(bias)) {}
  at::Tensor forward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                     const AttentionPositions& positions, const at::Tensor& slopes) override;
  std::string last_kernel() const override { return blocking_ == Blocking::kDense ? "standard:dense-reference" : "standard"; }

 private:
  AttentionSpec spec_;
  Blocking blocking_;
  ScoreBias bias_;  // empty: none
};

}  // namespace gptbench::attention
