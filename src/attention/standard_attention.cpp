// Explicit attention in fp32 over each block of queries.
#include "standard_attention.h"

#include <ATen/TensorOperators.h>  // Tensor operators (*, +)
#include <ATen/ops/matmul.h>       // at::matmul
#include <ATen/ops/softmax.h>      // at::softmax

#include <cmath>   // std::sqrt
#include <limits>  // std::numeric_limits

#include "gptbench/attention/attention_mask.h"  // visibility_mask, alibi_bias

namespace gptbench::attention {

at::Tensor StandardAttention::forward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                      const AttentionPositions& positions, const at::Tensor& slopes) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
  return run_blocked(q, k, v, positions, spec_, blocking_, [&](const AttentionBlock& blk) {
    // blk.q: (B, H, n, D); blk.k, blk.v: (B, H, m, D)
    at::Tensor visible = visibility_mask(blk.qk, positions, spec_).unsqueeze(1);  // (B, 1, n, m)
    at::Tensor scores = at::matmul(blk.q.to(at::kFloat), blk.k.to(at::kFloat).transpose(-2, -1)) * scale;
    if (spec_.alibi()) scores = scores + alibi_bias(blk.qk, slopes);
    scores = scores.masked_fill(visible.logical_not(), -std::numeric_limits<float>::infinity());
    // A padding query sees no key: softmax gives NaN there; its output is defined as 0.
    at::Tensor probs = at::softmax(scores, -1).masked_fill(rows_without_keys(visible), 0.0);
    return at::matmul(probs, blk.v.to(at::kFloat)).to(blk.v.scalar_type());
  });
}

}  // namespace gptbench::attention
