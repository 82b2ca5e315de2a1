// at::scaled_dot_product_attention. Without padding, ALiBi or a window it uses is_causal (or no
// mask for single-token decode) so PyTorch may pick its flash backend; otherwise it gets the best
// form it accepts: a boolean mask, or an additive fp32 mask holding the ALiBi bias. Windows run
// in banded query chunks like standard. The backend PyTorch chose is recorded.
#pragma once

#include "blocked_attention.h"             // Blocking
#include "gptbench/attention/attention.h"     // AttentionImpl, AttentionSpec
#include "gptbench/attention/sdpa_backend.h"  // sdpa_backend_name

namespace gptbench::attention {

class SdpaAttention final : public AttentionImpl {
 public:
  explicit SdpaAttention(const AttentionSpec& spec) : spec_(spec) {}
  at::Tensor forward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                     const AttentionPositions& positions, const at::Tensor& slopes) override;
  std::string last_kernel() const override { return last_kernel_; }

 private:
  AttentionSpec spec_;
  std::string last_kernel_ = "sdpa";
};

}  // namespace gptbench::attention
