// Adapter from the attention interface to the gptbench::attention op.
#include "flash_attention.h"

#include <c10/core/GradMode.h>  // at::GradMode
#include <ATen/ops/empty.h>  // at::empty
#include <fmt/format.h>  // fmt::format

#include <tuple>  // std::tie

#include "flash_autograd.h"         // flash_attention_recompute_backward
#include "gptbench/util/error.h"  // Error

namespace gptbench::attention {
namespace {

bool same_problem(const AttentionProblem& a, const AttentionProblem& b) {
  return std::tie(a.device, a.device_index, a.sm_version, a.dtype, a.batch, a.heads, a.q_len, a.k_len, a.head_dim,
                  a.q_pos0, a.key_layout, a.bias, a.window, a.global_tokens) ==
         std::tie(b.device, b.device_index, b.sm_version, b.dtype, b.batch, b.heads, b.q_len, b.k_len, b.head_dim,
                  b.q_pos0, b.key_layout, b.bias, b.window, b.global_tokens);
}

}  // namespace

at::Tensor FlashAttention::forward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                   const AttentionPositions& positions, const at::Tensor& slopes) {
  if (!q.is_cuda())
    throw Error("variant flash runs gptbench's CUDA kernels and needs a CUDA device (--device cuda)");
  // Training: our fused forward with a recomputing backward (flash_autograd.h), never silently.
  if (at::GradMode::is_enabled() && (q.requires_grad() || k.requires_grad() || v.requires_grad()))
    return flash_attention_recompute_backward(q, k, v, positions, spec_, slopes, &last_kernel_);
  AttentionOptions options;
  if (positions.key_pos.defined()) options.key_pos = positions.key_pos;
  if (positions.q_pos.defined()) {
    options.q_pos = positions.q_pos;
  } else {
    options.q_pos0 = positions.q_pos0;
  }
  if (spec_.alibi()) options.alibi_slopes = slopes;
  options.window = spec_.window;
  options.global_tokens = spec_.window > 0 ? spec_.global_tokens : 0;
  const AttentionProblem problem = make_attention_problem(q, k, options);
  if (last_kernel_ == "flash" || !same_problem(problem, last_problem_)) {
    const KernelChoice choice = select_attention_kernel(problem);
    if (!choice.supported) throw Error(fmt::format("variant flash: {}", choice.reason));
    last_kernel_ = "flash:" + choice.kernel_name;
    last_problem_ = problem;
  }
  if (positions.key_start.scalar_type() != at::kInt &&
      (!key_start_source_.defined() || !key_start_source_.is_same(positions.key_start))) {
    key_start_source_ = positions.key_start;
    key_start_i32_ = positions.key_start.to(at::kInt);
  }
  const at::Tensor& key_start = positions.key_start.scalar_type() == at::kInt ? positions.key_start : key_start_i32_;
  // The kernel writes token-major (B, Tq, H, D) memory through a (B, H, Tq, D) view, so the
  // model's transpose before the output projection is a free view instead of a copy.
  at::Tensor out = at::empty({q.size(0), q.size(2), q.size(1), q.size(3)}, q.options()).transpose(1, 2);
  flash_attention_out(out, q, k, v, key_start, options);
  return out;
}

}  // namespace gptbench::attention
