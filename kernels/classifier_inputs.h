// Validation of the gptbench::classifier_loss_grad_ arguments, shared by the CPU and CUDA
// implementations so that both refuse the same inputs with the same message.
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor

#include "gptbench/util/check.h"  // GPTBENCH_CHECK

namespace gptbench::kernels::detail {

// logits (N, V) with contiguous columns; targets (N,) int64 on the same device.
inline void check_classifier_inputs(const at::Tensor& logits, const at::Tensor& targets) {
  GPTBENCH_CHECK(logits.dim() == 2, "gptbench::classifier_loss_grad_: logits must be (N, V), got {} dims",
                 logits.dim());
  GPTBENCH_CHECK(logits.size(1) > 0, "gptbench::classifier_loss_grad_: logits have no columns (V = 0)");
  GPTBENCH_CHECK(logits.size(1) == 1 || logits.stride(1) == 1,
                 "gptbench::classifier_loss_grad_: logits columns must be contiguous (stride {})", logits.stride(1));
  GPTBENCH_CHECK(logits.size(0) <= 1 || logits.stride(0) >= logits.size(1),
                 "gptbench::classifier_loss_grad_: logits rows overlap (row stride {} < V {})", logits.stride(0),
                 logits.size(1));
  GPTBENCH_CHECK(targets.dim() == 1 && targets.size(0) == logits.size(0),
                 "gptbench::classifier_loss_grad_: targets must be (N,) with N = {} (got {} dims, {} elements)",
                 logits.size(0), targets.dim(), targets.numel());
  GPTBENCH_CHECK(targets.scalar_type() == at::kLong, "gptbench::classifier_loss_grad_: targets must be int64, got {}",
                 c10::toString(targets.scalar_type()));
  GPTBENCH_CHECK(targets.device() == logits.device(),
                 "gptbench::classifier_loss_grad_: targets on {} but logits on {}", targets.device().str(),
                 logits.device().str());
}

}  // namespace gptbench::kernels::detail
