// A projection with its LoRA update as one autograd node (issue 18: the adapters' cost in training).
//   y = x W^T + bias + Σ_pairs scaling · (drop(x) A^T) B^T   on each pair's rows [row0, row0 + rows)
// Unfused, each adapter site is about a dozen ATen ops and autograd nodes (two casts of the input, two
// matmuls, a scale, a cast and an add; their backwards and the sum of the input's two gradients),
// several of them passes over (tokens, out) activations. Here the forward is the base GEMM, x A^T and
// one in-place y += scaling · t B^T per pair (cuBLAS beta = 1), and the hand-written backward gives
// only what LoRA trains through:
//   dx = dy W + scaling · (dy B) A       (the first term with lora_linear only: lora_add's base has its own node)
//   dA = scaling · (dy B)^T drop(x)      dB = scaling · dy^T (drop(x) A^T)
// in A's and B's own dtype (fp32 master weights: cuBLAS writes fp32 from bf16/fp16 operands on CUDA).
// The frozen weight and bias get no gradient: lora_linear refuses ones that require it.
// Dropout: each pair draws its own mask (at::native_dropout, as PEFT's one dropout module per adapted
// module); the backward applies the same mask.
#pragma once

#include <ATen/core/Tensor.h>     // at::Tensor
#include <c10/core/ScalarType.h>  // c10::ScalarType

#include <cstdint>  // int64_t
#include <vector>   // std::vector

namespace gptbench::model {

// One adapter pair of a projection: A (r, in), B (rows, r), adding to output rows [row0, row0 + rows).
struct LoraPairRef {
  at::Tensor a, b;
  int64_t row0 = 0;
};

// A projection's whole update: its pairs in row order, not overlapping.
struct LoraUpdate {
  std::vector<LoraPairRef> pairs;
  double scaling = 1;  // alpha / r
  double dropout = 0;  // the probability applied now: 0 outside training
};

// The dtype a linear layer runs x in: autocast's when autocast is on for x's device and x is
// fp32/fp16/bf16 (what at::linear would cast to), else x's own.
c10::ScalarType linear_compute_dtype(const at::Tensor& x);

// y = x W^T + bias + the update, one autograd node. x: (..., in); weight: (out, in) and bias (out) or
// undefined, frozen (gptbench::Error if either requires grad). Runs in linear_compute_dtype(x);
// returns (..., out) in it.
at::Tensor lora_linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, const LoraUpdate& u);

// base + the update, one autograd node: base (..., out) is the projection's own output (a quantized
// weight's, say), differentiated by its own node. x: (..., in), in base's dtype after the cast to
// linear_compute_dtype. Returns (..., out) in base's dtype.
at::Tensor lora_add(const at::Tensor& base, const at::Tensor& x, const LoraUpdate& u);

// The update alone, (..., out) with zeros on rows no pair covers, by ATen ops under autograd: the
// unfused reference of the tests (and ProjectionAdapter::forward of the LoRA adapter). Under autocast
// its GEMMs run in autocast's dtype.
at::Tensor lora_update_reference(const at::Tensor& x, const LoraUpdate& u, int64_t out);

}  // namespace gptbench::model
