// The readable reference: explicit QK^T * scale, mask and bias, softmax in fp32, then V.
// Sliding windows are computed in query chunks over banded keys (blocked_attention.h), so
// cost and memory grow with Tq * W; Blocking::kDense is the brute-force full-mask reference.
#pragma once

#include "blocked_attention.h"             // Blocking
#include "gptbench/attention/attention.h"  // AttentionImpl, AttentionSpec

namespace gptbench::attention {

class StandardAttention final : public AttentionImpl {
 public:
  explicit StandardAttention(const AttentionSpec& spec, Blocking blocking = Blocking::kAuto)
      : spec_(spec), blocking_(blocking) {}
  at::Tensor forward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                     const AttentionPositions& positions, const at::Tensor& slopes) override;
  std::string last_kernel() const override { return blocking_ == Blocking::kDense ? "standard:dense-reference" : "standard"; }

 private:
  AttentionSpec spec_;
  Blocking blocking_;
};

}  // namespace gptbench::attention
