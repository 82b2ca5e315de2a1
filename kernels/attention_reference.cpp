// The readable reference of gptbench attention: plain ATen math on whatever device the
// inputs are on, fp64 for fp64 inputs and fp32 otherwise. It is the CPU op and the
// tests' reference, so it spells the semantics out rather than being fast. Grouped-query
// attention folds each kv head's query heads into rows (grouped_query.h): K and V are not copied.
#include <ATen/ATen.h>  // at::matmul, at::softmax, at::arange, at::where

#include <limits>  // std::numeric_limits

#include "gptbench/kernels/attention_op.h"    // attention_reference
#include "gptbench/kernels/grouped_query.h"  // fold_query_groups, unfold_query_groups

namespace gptbench::kernels {

at::Tensor attention_reference(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                               const at::Tensor& key_start, const std::optional<at::Tensor>& key_pos, int64_t q_pos0,
                               const std::optional<at::Tensor>& alibi_slopes, int64_t window, int64_t global_tokens,
                               double scale) {
  const auto compute = q.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
  const int64_t batch = q.size(0), heads = q.size(1), kv_heads = k.size(1), q_len = q.size(2), k_len = k.size(2);
  const auto idx = at::TensorOptions().dtype(at::kLong).device(q.device());

  // Positions on the shared padded time axis, broadcast to (B, H, Tq, Tk).
  const at::Tensor qpos = (at::arange(q_len, idx) + q_pos0).view({1, 1, q_len, 1});
  const at::Tensor kpos = (key_pos.has_value() && key_pos->defined())
                              ? key_pos->to(at::kLong).view({batch, 1, 1, k_len})
                              : at::arange(k_len, idx).view({1, 1, 1, k_len});
  const at::Tensor start = key_start.to(at::kLong).view({batch, 1, 1, 1});

  at::Tensor visible = (kpos >= start) & (kpos <= qpos);
  if (window > 0) visible = visible & (((qpos - kpos) < window) | ((kpos - start) < global_tokens));

  at::Tensor scores =
      unfold_query_groups(at::matmul(fold_query_groups(q.to(compute), kv_heads), k.to(compute).transpose(-2, -1)),
                          heads) *
      scale;  // (B, H, Tq, Tk)
  if (alibi_slopes.has_value() && alibi_slopes->defined()) {
    scores = scores - alibi_slopes->to(compute).view({1, heads, 1, 1}) * (qpos - kpos).to(compute);
  }
  scores = scores.masked_fill(visible.logical_not(), -std::numeric_limits<double>::infinity());
  at::Tensor probs = at::softmax(scores, -1);
  // A query that sees no key would get NaN from softmax; the contract says 0.
  probs = at::where(visible.any(-1, /*keepdim=*/true), probs, at::zeros({}, probs.options()));
  // Keys no query may see (padding, empty slots) may hold garbage; keep it out of 0 * x.
  const at::Tensor dead_key = (kpos < start).view({batch, 1, k_len, 1});
  const at::Tensor values = v.to(compute).masked_fill(dead_key, 0.0);
  return unfold_query_groups(at::matmul(fold_query_groups(probs, kv_heads), values), heads).to(q.scalar_type());
}

}  // namespace gptbench::kernels
