// Helpers the learned-variant tests share: left-padded positions and nsa's size flags.
#pragma once

#include <ATen/ops/tensor.h>  // at::tensor

#include <cstdint>  // int64_t
#include <vector>   // std::vector

#include "gptbench/attention/attention.h"  // AttentionPositions
#include "gptbench/attention/variant.h"    // VariantFlags

namespace gptbench::testing {

// Queries from q_pos0 on, row b's real tokens from key_start[b] (CPU tensors).
inline attention::AttentionPositions left_padded_positions(const std::vector<int64_t>& key_start, int64_t q_pos0) {
  attention::AttentionPositions p;
  p.key_start = at::tensor(key_start);
  p.q_pos0 = q_pos0;
  p.left_padded = true;
  return p;
}

// --nsa-block l --nsa-stride d --nsa-select-block l' --nsa-topk n --nsa-window w.
inline attention::VariantFlags nsa_flags(int64_t block, int64_t stride, int64_t select_block, int64_t topk,
                                         int64_t window) {
  attention::VariantFlags f;
  f.nsa_block = block;
  f.nsa_stride = stride;
  f.nsa_select_block = select_block;
  f.nsa_topk = topk;
  f.nsa_window = window;
  return f;
}

}  // namespace gptbench::testing
