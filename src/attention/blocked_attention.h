// Splits an attention problem into blocks of queries with the keys they may see, so that
// sliding-window attention costs O(Tq * (W + chunk)) time and memory instead of O(Tq * Tk).
// Each block carries the positions of its keys; duplicates and out-of-range sink copies get
// position -1, which the visibility rule (attention.h) hides.
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor

#include <functional>  // std::function

#include "gptbench/attention/attention.h"       // AttentionSpec, AttentionPositions
#include "gptbench/attention/attention_mask.h"  // QueryKeyPositions

namespace gptbench::attention {

struct AttentionBlock {
  at::Tensor q;          // (B, H, Tq_blk, D)
  at::Tensor k, v;       // (B, Hkv, Tk_blk, D)
  QueryKeyPositions qk;  // positions of those queries and keys
};

// How the problem is split: kAuto bands windowed attention over contiguous keys; kDense is the
// brute-force reference (one block, full Tq x Tk mask).
enum class Blocking { kAuto, kDense };

// q: (B, H, Tq, D); k, v: (B, Hkv, Tk, D), H % Hkv == 0 (checked here, for every implementation).
// Calls `attend` once per block and concatenates the outputs along Tq: (B, H, Tq, D).
at::Tensor run_blocked(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                       const AttentionPositions& positions, const AttentionSpec& spec, Blocking blocking,
                       const std::function<at::Tensor(const AttentionBlock&)>& attend);

// Query rows that see no key at all (padding queries): (B, 1, Tq, 1) bool, given a (B, 1, Tq, Tk) mask.
at::Tensor rows_without_keys(const at::Tensor& visible);

}  // namespace gptbench::attention
