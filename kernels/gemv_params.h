// The input of the decode GEMV kernel (gemv.cu): out = act(input(x) @ w^T + bias) + residual for a
// handful of rows, optionally also storing the key/value columns into a dense KV cache.
// Plain C++ (no torch, no CUDA headers), like attention_params.h.
// Shapes: x (M, K) row stride x_stride; w (N, K) contiguous; out (M, N) row stride out_stride.
// The weight is dense (T like x) or packed (int8, int4, nf4: gptbench/quant/quantized_weight.h),
// dequantized in registers.
#pragma once

#include <cstdint>  // int64_t, uint8_t

#include "attention_params.h"  // ElementType

namespace gptbench::kernels {

enum class GemvActivation : int { kNone = 0, kGeluTanh = 1, kGeluErf = 2 };
enum class GemvWeights : int { kDense = 0, kInt8 = 1, kInt4 = 2, kNf4 = 3 };
// What the rows of x become in shared memory before the projection (FusedLinearOptions::input): x, its
// LayerNorm, its RMSNorm, or SwiGLU's gate silu(x[:, :K]) * x[:, K:] of rows 2K wide.
enum class GemvInput : int { kAsIs = 0, kLayerNorm = 1, kRmsNorm = 2, kSiluGate = 3 };

// The most rows one launch serves: every row of x sits in shared memory, and each lane keeps one
// fp32 accumulator per row.
inline constexpr int kGemvMaxRows = 8;
// The most dynamic shared memory (x rows, code tables) of a launch, and the kernel's static shared memory
// beside it (the block-per-column partial sums, gemv_kernel.cuh); where the two pass the 48 KiB a launch
// gets without opt-in, the launcher opts in (cudaFuncAttributeMaxDynamicSharedMemorySize).
inline constexpr int kGemvMaxSharedBytes = 48 * 1024;
inline constexpr int kGemvStaticSharedBytes = 256;
// Packed weights run row counts 1, 2, 4, 8 (fewer instances); a call's rows round up to the next.
inline constexpr int gemv_packed_rows(int rows) { return rows <= 1 ? 1 : rows <= 2 ? 2 : rows <= 4 ? 4 : 8; }
inline constexpr int kGemvCodeTableFloats = 16 + 256;  // nf4: the NF4 values, then the absmax code

struct GemvParams {
  const void* x = nullptr;    // (M, K), or (M, 2K) for GemvInput::kSiluGate
  int64_t x_stride = 0;       // elements between rows, a multiple of 8
  GemvInput input = GemvInput::kAsIs;
  const void* w = nullptr;    // (N, K) contiguous; packed: int8 (N, K), int4/nf4 (N, K/2) bytes
  const void* bias = nullptr;      // (N) or null
  const void* residual = nullptr;  // (M, N) or null, added after the activation
  int64_t residual_stride = 0;
  const void* ln_weight = nullptr;  // (K): kLayerNorm, kRmsNorm
  const void* ln_bias = nullptr;    // (K): kLayerNorm
  float ln_eps = 1e-5f;
  void* out = nullptr;        // (M, N)
  int64_t out_stride = 0;
  int rows = 0, n = 0, k = 0;  // M, N, K; K a multiple of 8 (int8: 16, int4/nf4: 32)
  GemvActivation activation = GemvActivation::kNone;
  ElementType dtype = ElementType::kFp16;

  // Optional KV-cache store (the fused qkv projection of a decode step, one token per row):
  // output column kv_col0 + which * heads * head_dim + h * head_dim + d, which in {0 = key, 1 = value},
  // is also written to kv[which, row, h, *kv_pos, d] of a (2, M, H, capacity, D) buffer.
  void* kv = nullptr;
  const int64_t* kv_pos = nullptr;  // (1) on the device
  int64_t kv_strides[4] = {0, 0, 0, 0};  // which, batch row, head, position (d is contiguous)
  int kv_col0 = 0, heads = 0, head_dim = 0;

  // Packed weights (weights != kDense). int4/nf4: element 2j in the high nibble of byte j.
  GemvWeights weights = GemvWeights::kDense;
  const void* w_scales = nullptr;     // int8 (N), int4 (N, K/group), of scale_dtype
  ElementType scale_dtype = ElementType::kFp16;
  const uint8_t* w_zeros = nullptr;   // int4 asymmetric (N, K/group); null: symmetric, zero point 8
  int group = 0;                      // int4/nf4: elements per scale / absmax block, a multiple of 32
  const uint8_t* absmax_codes = nullptr;   // nf4 (N*K/group): block absmax = code[c] * scale[b/256] + offset
  const float* absmax_scales = nullptr;    // nf4 (ceil(N*K/group/256))
  const float* absmax_offset = nullptr;    // nf4 (1)
  const float* code_tables = nullptr;      // nf4 (kGemvCodeTableFloats) on the device

  // Programmatic dependent launch (sm_90+, GemvOverlap): the launch may begin while the previous kernel
  // runs; with prefetch_weights each warp first asks the L2 for the leading prefetch_row_bytes of its first
  // weight row (set by the launcher from an L2 budget), then waits for the previous kernel before touching x.
  bool overlap_launch = false;
  bool prefetch_weights = false;
  int prefetch_row_bytes = 0;

  // Set by the launcher: true for long rows (>= kGemvSplitRowBytes of weight), where all warps of a block
  // share one output column (each streams a slice of the row; partial sums meet in shared memory), so
  // that a launch's columns spread evenly over the resident warps instead of a warp streaming a whole
  // 28 KB row alone while others idle (NOTES, "the GEMV at Mistral sizes").
  bool block_per_column = false;
};
inline constexpr int64_t kGemvSplitRowBytes = 16 * 1024;

}  // namespace gptbench::kernels
