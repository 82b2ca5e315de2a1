// Device helpers shared by nsa's sparse-branch kernels (nsa_compressed.cu, nsa_topk.cu,
// nsa_selected.cu): the element type and head dim dispatch, warp reductions, 8-element loads and
// the online softmax's rescaling. Included only by those .cu files.
#pragma once

#include <cuda_bf16.h>     // __nv_bfloat16, __nv_bfloat162
#include <cuda_fp16.h>     // __half, __half2
#include <cuda_runtime.h>  // uint4, __shfl_xor_sync

#include <cmath>        // INFINITY
#include <type_traits>  // std::integral_constant

#include "nsa_select_params.h"  // NsaSelectParams, NsaElement

namespace gptbench::kernels::nsa {

constexpr unsigned kFullMask = 0xffffffffu;
constexpr float kLog2e = 1.4426950408889634f;

// Calls f(T{}, std::integral_constant<int, D>{}) for the element type T and head dim D of p (64 or 128).
template <typename F>
cudaError_t dispatch(const NsaSelectParams& p, F&& f) {
  const bool half = p.dtype == NsaElement::kFp16;
  switch (p.head_dim) {
    case 64: return half ? f(__half{}, std::integral_constant<int, 64>{}) : f(__nv_bfloat16{}, std::integral_constant<int, 64>{});
    case 128:
      return half ? f(__half{}, std::integral_constant<int, 128>{}) : f(__nv_bfloat16{}, std::integral_constant<int, 128>{});
    default: return cudaErrorInvalidValue;
  }
}

__device__ __forceinline__ float warp_max(float x) {
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) x = fmaxf(x, __shfl_xor_sync(kFullMask, x, off));
  return x;
}

__device__ __forceinline__ float warp_sum(float x) {
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) x += __shfl_xor_sync(kFullMask, x, off);
  return x;
}

// Eight consecutive 16-bit elements (one 16-byte vector) as fp32.
template <typename T>
__device__ __forceinline__ void unpack8(const uint4& raw, float (&out)[8]);
template <>
__device__ __forceinline__ void unpack8<__half>(const uint4& raw, float (&out)[8]) {
  const __half2* h = reinterpret_cast<const __half2*>(&raw);
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 f = __half22float2(h[i]);
    out[2 * i] = f.x;
    out[2 * i + 1] = f.y;
  }
}
template <>
__device__ __forceinline__ void unpack8<__nv_bfloat16>(const uint4& raw, float (&out)[8]) {
  const __nv_bfloat162* h = reinterpret_cast<const __nv_bfloat162*>(&raw);
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 f = __bfloat1622float2(h[i]);
    out[2 * i] = f.x;
    out[2 * i + 1] = f.y;
  }
}

// The online-softmax factor of a running maximum `old` moving to `now` (finite): 0 when nothing was seen.
__device__ __forceinline__ float rescale(float old, float now) { return old == -INFINITY ? 0.f : exp2f(old - now); }

}  // namespace gptbench::kernels::nsa
