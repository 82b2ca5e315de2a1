// Explicit attention in fp32 over each block of queries.
#include "standard_attention.h"

#include <ATen/TensorOperators.h>  // Tensor operators (*, +)
#include <ATen/ops/matmul.h>       // at::matmul
#include <ATen/ops/softmax.h>      // at::softmax

#include <cmath>   // std::sqrt
#include <limits>  // std::numeric_limits

#include "gptbench/attention/attention_mask.h"  // visibility_mask, alibi_bias
#include "gptbench/kernels/grouped_query.h"     // fold_query_groups, unfold_query_groups

namespace gptbench::attention {

at::Tensor StandardAttention::forward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                      const AttentionPositions& positions, const at::Tensor& slopes) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
  return run_blocked(q, k, v, positions, spec_, blocking_, [&](const AttentionBlock& blk) {
    // blk.q: (B, H, n, D); blk.k, blk.v: (B, Hkv, m, D). Each kv head's query heads are folded
    // into rows, so one matmul per kv head serves its group without repeating K or V.
    const int64_t heads = blk.q.size(1), kv_heads = blk.k.size(1);
    at::Tensor visible = visibility_mask(blk.qk, positions, spec_).unsqueeze(1);  // (B, 1, n, m)
    at::Tensor scores = kernels::unfold_query_groups(at::matmul(kernels::fold_query_groups(blk.q.to(at::kFloat), kv_heads),
                                                                blk.k.to(at::kFloat).transpose(-2, -1)),
                                                     heads) *
                        scale;  // (B, H, n, m)
    if (spec_.alibi()) scores = scores + alibi_bias(blk.qk, slopes);
    if (bias_) scores = scores + bias_(blk.qk);
    scores = scores.masked_fill(visible.logical_not(), -std::numeric_limits<float>::infinity());
    // A padding query sees no key: softmax gives NaN there; its output is defined as 0.
    at::Tensor probs = at::softmax(scores, -1).masked_fill(rows_without_keys(visible), 0.0);
    return kernels::unfold_query_groups(at::matmul(kernels::fold_query_groups(probs, kv_heads), blk.v.to(at::kFloat)),
                                        heads)
        .to(blk.v.scalar_type());
  });
}

}  // namespace gptbench::attention
