// The input of the decode GEMV kernel (gemv.cu): out = act(LN?(x) @ w^T + bias) + residual for a
// handful of rows, optionally also storing the key/value columns into a dense KV cache.
// Plain C++ (no torch, no CUDA headers), like attention_params.h.
// Shapes: x (M, K) row stride x_stride; w (N, K) contiguous; out (M, N) row stride out_stride.
#pragma once

#include <cstdint>  // int64_t

#include "attention_params.h"  // ElementType

namespace gptbench::kernels {

enum class GemvActivation : int { kNone = 0, kGeluTanh = 1, kGeluErf = 2 };

// The most rows one launch serves: every row of x sits in shared memory, and each lane keeps one
// fp32 accumulator per row.
inline constexpr int kGemvMaxRows = 8;
inline constexpr int kGemvMaxSharedBytes = 48 * 1024;  // x rows in shared memory, without opt-in

struct GemvParams {
  const void* x = nullptr;    // (M, K)
  int64_t x_stride = 0;       // elements between rows, a multiple of 8
  const void* w = nullptr;    // (N, K) contiguous
  const void* bias = nullptr;      // (N) or null
  const void* residual = nullptr;  // (M, N) or null, added after the activation
  int64_t residual_stride = 0;
  const void* ln_weight = nullptr;  // (K) or null: x rows are layer-normalised first
  const void* ln_bias = nullptr;    // (K), with ln_weight
  float ln_eps = 1e-5f;
  void* out = nullptr;        // (M, N)
  int64_t out_stride = 0;
  int rows = 0, n = 0, k = 0;  // M, N, K; K a multiple of 8
  GemvActivation activation = GemvActivation::kNone;
  ElementType dtype = ElementType::kFp16;

  // Optional KV-cache store (the fused qkv projection of a decode step, one token per row):
  // output column kv_col0 + which * heads * head_dim + h * head_dim + d, which in {0 = key, 1 = value},
  // is also written to kv[which, row, h, *kv_pos, d] of a (2, M, H, capacity, D) buffer.
  void* kv = nullptr;
  const int64_t* kv_pos = nullptr;  // (1) on the device
  int64_t kv_strides[4] = {0, 0, 0, 0};  // which, batch row, head, position (d is contiguous)
  int kv_col0 = 0, heads = 0, head_dim = 0;
};

}  // namespace gptbench::kernels
