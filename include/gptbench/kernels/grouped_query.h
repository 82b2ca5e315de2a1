// Grouped-query attention (GQA), stated once: q has H heads, k and v have Hkv heads, H % Hkv == 0,
// and query head h reads key/value head h / G with G = H / Hkv (Hkv == H is plain multi-head
// attention, Hkv == 1 multi-query). The ATen paths (the op's reference, standard, the reference
// attention) fold the G query heads of each kv head into the row axis, so that one matmul per kv
// head serves the whole group and K and V are never copied or repeated.
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor

#include <cstdint>  // int64_t

namespace gptbench::kernels {

// heads >= 1, kv_heads >= 1 and heads % kv_heads == 0.
constexpr bool grouped_heads_valid(int64_t heads, int64_t kv_heads) {
  return heads >= 1 && kv_heads >= 1 && heads % kv_heads == 0;
}

// Throws gptbench::Error, prefixed with `what`, unless grouped_heads_valid(heads, kv_heads).
void check_grouped_heads(const char* what, int64_t heads, int64_t kv_heads);

// x: (B, H, T, X) -> (B, Hkv, G * T, X): row g * T + t of kv head j is row t of query head j * G + g.
// A view when x's head and row axes merge, else one copy of x (queries, never keys or values).
at::Tensor fold_query_groups(const at::Tensor& x, int64_t kv_heads);

// The inverse: x (B, Hkv, G * T, X) -> (B, H, T, X) with H = heads.
at::Tensor unfold_query_groups(const at::Tensor& x, int64_t heads);

}  // namespace gptbench::kernels
