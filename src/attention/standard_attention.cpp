// Explicit attention in fp32. Dense: one (B, H, Tq, Tk) score matrix.
#include "standard_attention.h"

#include <ATen/TensorOperators.h>  // Tensor operators (*, +)
#include <ATen/ops/matmul.h>   // at::matmul
#include <ATen/ops/softmax.h>  // at::softmax

#include <cmath>   // std::sqrt
#include <limits>  // std::numeric_limits

#include "gptbench/attention/attention_mask.h"  // query_key_positions, visibility_mask, alibi_bias

namespace gptbench::attention {

at::Tensor StandardAttention::forward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                      const AttentionPositions& positions, const at::Tensor& slopes) {
  // q: (B, H, Tq, D); k, v: (B, H, Tk, D)
  const int64_t tq = q.size(2), tk = k.size(2);
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
  QueryKeyPositions qk = query_key_positions(positions, 0, tq, 0, tk, q.device());
  at::Tensor visible = visibility_mask(qk, positions, spec_).unsqueeze(1);  // (B, 1, Tq, Tk)
  at::Tensor scores = at::matmul(q.to(at::kFloat), k.to(at::kFloat).transpose(-2, -1)) * scale;
  if (spec_.alibi()) scores = scores + alibi_bias(qk, slopes);
  scores = scores.masked_fill(visible.logical_not(), -std::numeric_limits<float>::infinity());
  at::Tensor probs = at::softmax(scores, -1);
  // A padding query sees no key: softmax gave NaN there; its output is defined as 0.
  probs = probs.masked_fill(visible.any(-1, /*keepdim=*/true).logical_not(), 0.0);
  return at::matmul(probs, v.to(at::kFloat)).to(v.scalar_type());
}

}  // namespace gptbench::attention
