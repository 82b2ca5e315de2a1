// Visibility mask and ALiBi bias from positions (see attention.h for the rule).
#include "gptbench/attention/attention_mask.h"

#include <ATen/TensorOperators.h>  // Tensor operators (>=, -, &, *)
#include <ATen/ops/arange.h>  // at::arange

#include <limits>  // std::numeric_limits

namespace gptbench::attention {

QueryKeyPositions query_key_positions(const AttentionPositions& positions, int64_t q_first, int64_t tq,
                                      int64_t k_first, int64_t tk, c10::Device device) {
  const auto long_options = at::TensorOptions().dtype(at::kLong).device(device);
  QueryKeyPositions qk;
  const int64_t q0 = positions.q_pos0 + q_first;
  qk.qpos = at::arange(q0, q0 + tq, long_options).view({1, tq, 1});
  if (positions.key_pos.defined()) {
    qk.kpos = positions.key_pos.narrow(1, k_first, tk).unsqueeze(1);
  } else {
    qk.kpos = at::arange(k_first, k_first + tk, long_options).view({1, 1, tk});
  }
  return qk;
}

at::Tensor visibility_mask(const QueryKeyPositions& qk, const AttentionPositions& positions,
                           const AttentionSpec& spec) {
  at::Tensor start = positions.key_start.view({-1, 1, 1});  // (B, 1, 1)
  at::Tensor visible = (qk.kpos >= start) & (qk.kpos <= qk.qpos);
  if (spec.window > 0) {
    at::Tensor in_window = (qk.qpos - qk.kpos) < spec.window;
    if (spec.global_tokens > 0) in_window = in_window | ((qk.kpos - start) < spec.global_tokens);
    visible = visible & in_window;
  }
  return visible;
}

at::Tensor alibi_bias(const QueryKeyPositions& qk, const at::Tensor& slopes) {
  at::Tensor distance = (qk.qpos - qk.kpos).to(at::kFloat).unsqueeze(1);  // (B|1, 1, Tq, Tk)
  return distance * (-slopes).view({1, -1, 1, 1});
}

at::Tensor alibi_additive_mask(const QueryKeyPositions& qk, const at::Tensor& visible, const at::Tensor& slopes,
                               c10::ScalarType dtype) {
  return alibi_bias(qk, slopes).masked_fill(visible.logical_not(), -std::numeric_limits<float>::infinity()).to(dtype);
}

}  // namespace gptbench::attention
