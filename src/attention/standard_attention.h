// The readable reference: explicit QK^T * scale, mask and bias, softmax in fp32, then V.
#pragma once

#include "gptbench/attention/attention.h"  // AttentionImpl, AttentionSpec

namespace gptbench::attention {

class StandardAttention final : public AttentionImpl {
 public:
  explicit StandardAttention(const AttentionSpec& spec) : spec_(spec) {}
  at::Tensor forward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                     const AttentionPositions& positions, const at::Tensor& slopes) override;
  std::string last_kernel() const override { return "standard"; }

 private:
  AttentionSpec spec_;
};

}  // namespace gptbench::attention
