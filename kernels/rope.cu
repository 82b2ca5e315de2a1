// The fused RoPE pre-kernel of the Llama/Mistral attention (gptbench/kernels/rope_op.h): one pass
// over the qkv projection's output that splits it into heads, rotates q and k (rotate_half pairs
// i and i + D/2, angle = position * inv_freq[i] in fp32, sincosf at full accuracy, math in fp32,
// one rounding to the element type) and writes q and k in (B, heads, T, D), or, for a decode step,
// q and the step's rotated k and its v straight into the KV cache slot at the device position.
// One thread per (row, head, pair): consecutive threads touch consecutive elements of a head.
#include <cuda_bf16.h>     // __nv_bfloat16
#include <cuda_fp16.h>     // __half
#include <cuda_runtime.h>  // sincosf, cudaGetLastError

#include <cstdint>  // int64_t

#include "rope_launch.h"  // the entry point defined here

namespace gptbench::kernels {
namespace {

__device__ __forceinline__ float to_f32(float x) { return x; }
__device__ __forceinline__ float to_f32(__half x) { return __half2float(x); }
__device__ __forceinline__ float to_f32(__nv_bfloat16 x) { return __bfloat162float(x); }

template <typename T>
__device__ __forceinline__ T from_f32(float x);
template <>
__device__ __forceinline__ float from_f32<float>(float x) { return x; }
template <>
__device__ __forceinline__ __half from_f32<__half>(float x) { return __float2half_rn(x); }
template <>
__device__ __forceinline__ __nv_bfloat16 from_f32<__nv_bfloat16>(float x) { return __float2bfloat16_rn(x); }

constexpr int kThreads = 256;

template <typename T>
__global__ void __launch_bounds__(kThreads) rope_split_qkv_kernel(const RopeParams p) {
  const int half = p.head_dim / 2;
  const bool into_cache = p.kv != nullptr;
  // Head slots of one token: q heads, k heads, and (into the cache only) v heads to copy.
  const int slots = p.heads + p.kv_heads * (into_cache ? 2 : 1);
  const int64_t total = static_cast<int64_t>(p.batch) * p.len * slots * half;
  const int64_t idx = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (idx >= total) return;
  const int i = static_cast<int>(idx % half);
  const int64_t rest = idx / half;
  const int slot = static_cast<int>(rest % slots);
  const int64_t row = rest / slots;
  const int t = static_cast<int>(row % p.len), b = static_cast<int>(row / p.len);

  const T* src = static_cast<const T*>(p.qkv) + b * p.qkv_strides[0] + t * p.qkv_strides[1] +
                 static_cast<int64_t>(slot) * p.head_dim;
  const float x1 = to_f32(src[i]), x2 = to_f32(src[i + half]);
  const int64_t pos = into_cache ? *p.pos_device : p.pos0 + t;

  T* dst;
  float y1 = x1, y2 = x2;  // v heads are copied as they are
  if (slot < p.heads + p.kv_heads) {
    const float angle = static_cast<float>(pos) * p.inv_freq[i];
    float sn, cs;
    sincosf(angle, &sn, &cs);
    y1 = x1 * cs - x2 * sn;
    y2 = x2 * cs + x1 * sn;
  }
  if (slot < p.heads) {
    dst = static_cast<T*>(p.q) + b * p.q_strides[0] + slot * p.q_strides[1] + t * p.q_strides[2];
  } else if (!into_cache) {
    dst = static_cast<T*>(p.k) + b * p.k_strides[0] + (slot - p.heads) * p.k_strides[1] + t * p.k_strides[2];
  } else {
    if (pos < 0 || pos >= p.kv_capacity) return;
    const int is_v = slot >= p.heads + p.kv_heads ? 1 : 0;
    const int h = slot - p.heads - is_v * p.kv_heads;
    dst = static_cast<T*>(p.kv) + is_v * p.kv_strides[0] + b * p.kv_strides[1] + h * p.kv_strides[2] +
          pos * p.kv_strides[3];
  }
  dst[i] = from_f32<T>(y1);
  dst[i + half] = from_f32<T>(y2);
}

template <typename T>
cudaError_t launch_typed(const RopeParams& p, cudaStream_t stream) {
  const int slots = p.heads + p.kv_heads * (p.kv != nullptr ? 2 : 1);
  const int64_t total = static_cast<int64_t>(p.batch) * p.len * slots * (p.head_dim / 2);
  if (total == 0) return cudaSuccess;
  const int64_t blocks = (total + kThreads - 1) / kThreads;
  if (blocks > 0x7fffffff) return cudaErrorInvalidValue;
  rope_split_qkv_kernel<T><<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(p);
  return cudaGetLastError();
}

}  // namespace

cudaError_t launch_rope_split_qkv(const RopeParams& p, cudaStream_t stream) {
  switch (p.dtype) {
    case RopeElement::kFp16: return launch_typed<__half>(p, stream);
    case RopeElement::kBf16: return launch_typed<__nv_bfloat16>(p, stream);
    case RopeElement::kFp32: return launch_typed<float>(p, stream);
  }
  return cudaErrorInvalidValue;
}

}  // namespace gptbench::kernels
