// The `flash` kernel of the variant registry: gptbench's own fused CUDA kernels through the
// gptbench::attention op. It never runs the op's CPU reference under the name "flash": a CPU
// device is refused, as is anything the op's kernel selection does not support.
#pragma once

#include <string>  // std::string

#include "gptbench/attention/attention.h"  // AttentionImpl, AttentionSpec

namespace gptbench::attention {

class FlashAttention final : public AttentionImpl {
 public:
  explicit FlashAttention(const AttentionSpec& spec) : spec_(spec) {}
  at::Tensor forward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                     const AttentionPositions& positions, const at::Tensor& slopes) override;
  std::string last_kernel() const override { return last_kernel_; }

 private:
  AttentionSpec spec_;
  std::string last_kernel_ = "flash";  // "flash:" + the kernel the op chose in the last call
  std::string op_kernel_;              // that choice, as the op hands it back (kept to reuse its buffer)
  // The op takes key_start as int32; the model's (B,) int64 tensor is the same object for every
  // layer and step of a generation, so it is converted once, not once per layer per token.
  // Holding key_start_source_ keeps its memory from being reused by another tensor.
  at::Tensor key_start_source_, key_start_i32_;
};

}  // namespace gptbench::attention
