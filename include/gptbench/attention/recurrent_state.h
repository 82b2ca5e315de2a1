// The decode state a linear-attention variant keeps per layer instead of keys and values
// (performer): constant in the context length.
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor

namespace gptbench::attention {

struct RecurrentState {
  at::Tensor s;  // (B, H, m, D) fp32: the sum of phi(k) v^T over the keys folded in so far
  at::Tensor z;  // (B, H, m) fp32: the sum of phi(k)
};

}  // namespace gptbench::attention
