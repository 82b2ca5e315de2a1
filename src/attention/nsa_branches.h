// NSA's compressed and selected branches in ATen (docs/variants.md has the equations): the
// compression of key/value blocks, the compressed attention, the block importance it yields, the
// top-n block selection and the attention over the selected blocks' raw tokens. Positions are
// counted from each row's key_start (left padding shifts nothing), so a padded row computes what
// the same row unpadded does. No Tq x Tk matrix: queries go in chunks, each seeing (Tk / d)
// compressed keys and n * l' gathered tokens.
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor

#include <cstdint>  // int64_t
#include <string>   // std::string

#include "gptbench/attention/attention.h"     // AttentionPositions
#include "gptbench/attention/learned_spec.h"  // NsaSizes

namespace gptbench::attention {

// fp64 for fp64 inputs, fp32 otherwise: what the branches compute in.
c10::ScalarType nsa_compute_type(const at::Tensor& x);

// Compressed blocks complete among `keys` real tokens: block i holds tokens i*d .. i*d + l - 1.
int64_t nsa_complete_blocks(int64_t keys, const NsaSizes& sizes);

// Blocks [first, first + count) of x (B, Hkv, Tk, D), row b's block i holding the tokens at
// key_start[b] + i*d + r, r < l (past Tk: clamped, and such a block is never visible):
//   phi(block) = weight . vec(x[block] + pos)      weight (D, l*D), pos (l, D) in the compute type.
// Returns (B, Hkv, count, D) in the compute type.
at::Tensor nsa_compress(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& pos,
                        const at::Tensor& key_start, int64_t first, int64_t count, const NsaSizes& sizes);

struct NsaBranches {
  at::Tensor cmp;  // (B, H, Tq, D) compute type: attention over the compressed keys
  at::Tensor slc;  // (B, H, Tq, D) compute type: attention over the selected blocks' tokens
  std::string kernel;  // what computed them: "aten", or our kernels' name ("nsa_select_fp16_d64")
};

// q: (B, H, Tq, D); k, v: (B, Hkv, Tk, D), keys at positions 0 .. Tk - 1, queries the last Tq of them
// (q_pos0 = Tk - Tq); kc, vc: (B, Hkv, nc, D) the compressed blocks 0 .. nc - 1 (nc >= the blocks
// complete for a row starting at 0). The heads of a group (H / Hkv) share one selection (their
// importance summed). A padding query outputs 0 in both branches, as does a query that sees no
// compressed block in the cmp branch. On a GPU with fp16/bf16 inputs our kernels compute both branches
// when they take the call and no gradient is recorded (kernels/nsa_select_op.h: D 64/128, groups of 1, 2, 4,
// 8 heads, n <= 64); otherwise ATen, where on a GPU with fp16/bf16 inputs the selected tokens are gathered
// and multiplied in that dtype (fp32 accumulation, fp32 softmax).
NsaBranches nsa_sparse_branches(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& kc,
                                const at::Tensor& vc, const AttentionPositions& positions, const NsaSizes& sizes);

// g = sigmoid(q_h . weight[h, c] + bias[h, c]) for the branches c = cmp, slc, win: q (B, H, Tq, D),
// weight (H, 3, D), bias (H, 3) in the compute type -> (B, H, Tq, 3).
at::Tensor nsa_gates(const at::Tensor& q, const at::Tensor& weight, const at::Tensor& bias);

}  // namespace gptbench::attention
