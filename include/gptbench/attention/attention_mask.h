// Builds the boolean visibility mask and the ALiBi distance of attention.h's semantics.
// Used by the explicit (standard) implementation and by SDPA when it needs an explicit mask.
#pragma once

#include <ATen/core/Tensor.h>     // at::Tensor
#include <c10/core/ScalarType.h>  // c10::ScalarType

#include <cstdint>  // int64_t

#include "gptbench/attention/attention.h"  // AttentionPositions, AttentionSpec

namespace gptbench::attention {

struct QueryKeyPositions {
  at::Tensor qpos;  // (1, Tq, 1) int64
  at::Tensor kpos;  // (B or 1, 1, Tk) int64, -1 for an empty slot
};

// Positions of queries [q_first, q_first + tq) and keys [k_first, k_first + tk) (contiguous keys)
// or key_pos (rolling cache).
QueryKeyPositions query_key_positions(const AttentionPositions& positions, int64_t q_first, int64_t tq,
                                      int64_t k_first, int64_t tk, c10::Device device);

// (B, Tq, Tk) bool: key visible to query.
at::Tensor visibility_mask(const QueryKeyPositions& qk, const AttentionPositions& positions,
                           const AttentionSpec& spec);

// (B or 1, 1, Tq, Tk) fp32 additive ALiBi bias: -slope[h] * (qpos - kpos), broadcast over heads as (1, H, 1, 1).
at::Tensor alibi_bias(const QueryKeyPositions& qk, const at::Tensor& slopes);

// SDPA's form of ALiBi: (B or 1, H, Tq, Tk) in `dtype`, alibi_bias where `visible` ((B or 1, 1, Tq, Tk)
// bool) and -inf elsewhere.
at::Tensor alibi_additive_mask(const QueryKeyPositions& qk, const at::Tensor& visible, const at::Tensor& slopes,
                               c10::ScalarType dtype);

}  // namespace gptbench::attention
