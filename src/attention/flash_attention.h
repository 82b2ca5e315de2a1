// The `flash` kernel of the variant registry: gptbench's own fused CUDA kernels through the
// gptbench::attention op. It never runs the op's CPU reference under the name "flash": a CPU
// device is refused, as is anything select_attention_kernel does not support.
#pragma once

#include "gptbench/attention/attention.h"  // AttentionImpl, AttentionSpec
#include "gptbench/attention/flash_op.h"   // AttentionProblem, KernelChoice

namespace gptbench::attention {

class FlashAttention final : public AttentionImpl {
 public:
  explicit FlashAttention(const AttentionSpec& spec) : spec_(spec) {}
  at::Tensor forward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                     const AttentionPositions& positions, const at::Tensor& slopes) override;
  std::string last_kernel() const override { return last_kernel_; }

 private:
  AttentionSpec spec_;
  std::string last_kernel_ = "flash";
  AttentionProblem last_problem_;  // the selection is repeated only when the problem changes
};

}  // namespace gptbench::attention
