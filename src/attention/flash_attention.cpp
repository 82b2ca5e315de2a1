// Adapter from the attention interface to the gptbench::attention op.
#include "flash_attention.h"

#include <ATen/ops/empty.h>       // at::empty
#include <c10/core/GradMode.h>    // at::GradMode

#include "flash_autograd.h"                       // flash_attention_recompute_backward
#include "gptbench/attention/flash_op_options.h"  // flash_op_options
#include "gptbench/kernels/attention_op.h"        // attention_op_out
#include "gptbench/util/error.h"                  // Error

namespace gptbench::attention {

at::Tensor FlashAttention::forward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                   const AttentionPositions& positions, const at::Tensor& slopes) {
  if (!q.is_cuda())
    throw Error("variant flash runs gptbench's CUDA kernels and needs a CUDA device (--device cuda)");
  // Training: our fused forward with a recomputing backward (flash_autograd.h), never silently.
  if (at::GradMode::is_enabled() && (q.requires_grad() || k.requires_grad() || v.requires_grad()))
    return flash_attention_recompute_backward(q, k, v, positions, spec_, slopes, &last_kernel_);
  if (positions.key_start.scalar_type() != at::kInt &&
      (!key_start_source_.defined() || !key_start_source_.is_same(positions.key_start))) {
    key_start_source_ = positions.key_start;
    key_start_i32_ = positions.key_start.to(at::kInt);
  }
  const at::Tensor& key_start = positions.key_start.scalar_type() == at::kInt ? positions.key_start : key_start_i32_;
  // The kernel writes token-major (B, Tq, H, D) memory through a (B, H, Tq, D) view, so the
  // model's transpose before the output projection is a free view instead of a copy.
  at::Tensor out = at::empty({q.size(0), q.size(2), q.size(1), q.size(3)}, q.options()).transpose(1, 2);
  kernels::attention_op_out(out, q, k, v, key_start, flash_op_options(spec_, positions, slopes), &op_kernel_);
  last_kernel_ = "flash:" + op_kernel_;
  return out;
}

}  // namespace gptbench::attention
