// FAVOR+ (Choromanski et al. 2021, "Rethinking Attention with Performers"): causal linear attention
// through positive orthogonal random features, approximating softmax(q k^T / sqrt(d)) v. The exact
// definitions are in docs/variants.md; `--variant performer` runs them (performer_attention.h).
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor

#include <cstdint>  // int64_t, uint64_t

#include "gptbench/attention/attention.h"        // AttentionPositions
#include "gptbench/attention/recurrent_state.h"  // RecurrentState

namespace gptbench::attention {

// omega: (m, d) fp64 on the CPU. Blocks of d rows, each the orthonormal rows of the Q of a QR
// decomposition of a d x d standard Gaussian matrix, each row then scaled by an independent chi(d)
// norm (the norm of a d-dimensional standard Gaussian); the last block keeps its first m mod d rows.
// The same seed draws the same features.
at::Tensor orthogonal_random_features(int64_t m, int64_t d, uint64_t seed);

// phi(x) = exp(omega x' - |x'|^2 / 2 - c) / sqrt(m) with x' = x / d^(1/4): x (..., d), omega (m, d) in
// x's dtype -> (..., m). c = 0, or with stabilise_rows the row's largest omega x' (for queries, where
// it cancels in the normalisation; keys take c = 0, which a state summed over time needs).
at::Tensor positive_random_features(const at::Tensor& x, const at::Tensor& omega, bool stabilise_rows);

// A zero state for (B, H) heads of size D and m features, fp32 (fp64 for fp64 inputs) on `like`'s device.
RecurrentState empty_recurrent_state(int64_t batch, int64_t heads, int64_t m, int64_t head_dim,
                                     const at::Tensor& like);

// Causal FAVOR+ over T new tokens, `chunk` at a time: q, k, v (B, H, T, D) at positions q_pos0
// onwards, after the keys already in `state`, which this updates. Keys before a row's key_start
// (left padding) are not folded in; a padding query outputs 0. No T x T matrix: each chunk's
// own (chunk x chunk) part, plus the state. Computes in fp32 (fp64 for fp64 inputs); returns q's dtype.
at::Tensor favor_causal(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& omega,
                        const AttentionPositions& positions, RecurrentState& state, int64_t chunk);

}  // namespace gptbench::attention
