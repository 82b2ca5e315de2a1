// Decode GEMV: out = act(LN?(x) @ w^T + bias) + residual for 1..8 rows (the tokens of one decode
// step), in one launch. At these sizes a GEMM is a pure weight stream (GPT-2's c_fc at M = 1 reads
// 4.7 MB to do 4.7 MFLOP), so the kernel is shaped to stream the weight once at full bandwidth and
// to fold in everything around it that would otherwise be a launch of its own: the LayerNorm
// before the projection, the bias, the tanh-GELU, the residual add, and (for the qkv projection)
// the store of the new key and value into the KV cache.
//
// Layout: each block copies the M input rows into shared memory (and layer-normalises them there,
// one warp per row, fp32 statistics); then each warp owns one output column at a time, its lanes
// streaming 16-byte vectors of that weight row (kUnroll loads in flight per lane) and keeping one
// fp32 accumulator per input row; a butterfly reduction leaves every sum in every lane, and lane r
// writes row r. Weights are read once per launch, the inputs from shared memory.
#include <cuda_bf16.h>  // __nv_bfloat16, __nv_bfloat162
#include <cuda_fp16.h>  // __half, __half2
#include <cuda_runtime.h>

#include <algorithm>  // std::min
#include <cstdint>    // int64_t, uint32_t

#include "gemv_launch.h"  // launch_gemv, GemvParams
#include "ptx.cuh"          // to_float, from_float

namespace gptbench::kernels {
namespace {

constexpr int kWarps = 4;
constexpr int kThreads = kWarps * 32;
constexpr int kUnroll = 4;       // 16-byte weight vectors in flight per lane
constexpr int kBlocksPerSm = 8;  // grid cap; warps then loop over columns

using ptx::from_float;
using ptx::to_float;

// The packed pair type of T and its conversion to two floats.
template <typename T>
struct Pair;
template <>
struct Pair<__half> {
  using type = __half2;
  static __device__ __forceinline__ float2 to_float2(type v) { return __half22float2(v); }
};
template <>
struct Pair<__nv_bfloat16> {
  using type = __nv_bfloat162;
  static __device__ __forceinline__ float2 to_float2(type v) { return __bfloat1622float2(v); }
};

// 8 packed 16-bit elements (one 16-byte vector) to fp32, two at a time.
template <typename T>
__device__ __forceinline__ void unpack8(const uint4& v, float (&f)[8]) {
  const auto* pairs = reinterpret_cast<const typename Pair<T>::type*>(&v);
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 p = Pair<T>::to_float2(pairs[i]);
    f[2 * i] = p.x;
    f[2 * i + 1] = p.y;
  }
}

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

// GPT-2's GELU (tanh approximation), in fp32 as ATen computes it.
__device__ __forceinline__ float gelu_tanh(float x) {
  constexpr float kSqrt2OverPi = 0.7978845608028654f;
  return 0.5f * x * (1.f + tanhf(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
}

// The exact GELU, x * Phi(x).
__device__ __forceinline__ float gelu_erf(float x) { return 0.5f * x * (1.f + erff(x * 0.7071067811865476f)); }

// Row r of shared x := LayerNorm(row) in place (biased variance, like torch), by one warp.
template <typename T>
__device__ void layer_norm_row(T* row, int k, const T* gamma, const T* beta, float eps, int lane) {
  float sum = 0.f;
  for (int i = lane; i < k; i += 32) sum += to_float(row[i]);
  const float mean = warp_sum(sum) / static_cast<float>(k);
  float sq = 0.f;
  for (int i = lane; i < k; i += 32) {
    const float d = to_float(row[i]) - mean;
    sq += d * d;
  }
  const float rstd = rsqrtf(warp_sum(sq) / static_cast<float>(k) + eps);
  for (int i = lane; i < k; i += 32) {
    row[i] = from_float<T>((to_float(row[i]) - mean) * rstd * to_float(gamma[i]) + to_float(beta[i]));
  }
}

template <typename T, int kRows>
__global__ void __launch_bounds__(kThreads) gemv_kernel(const GemvParams p) {
  extern __shared__ __align__(16) unsigned char smem_raw[];
  T* xs = reinterpret_cast<T*>(smem_raw);  // (kRows, K)
  const int k = p.k;
  const int nvec = k / 8;  // 16-byte vectors per row
  const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;

  // 1. The input rows into shared memory.
  const T* x = static_cast<const T*>(p.x);
  for (int i = static_cast<int>(threadIdx.x); i < kRows * nvec; i += kThreads) {
    const int r = i / nvec, c = i % nvec;
    reinterpret_cast<uint4*>(xs + static_cast<int64_t>(r) * k)[c] =
        reinterpret_cast<const uint4*>(x + r * p.x_stride)[c];
  }
  __syncthreads();
  // 2. Their LayerNorm, rounded to T as the unfused LayerNorm's output is.
  if (p.ln_weight != nullptr) {
    for (int r = warp; r < kRows; r += kWarps) {
      layer_norm_row(xs + static_cast<int64_t>(r) * k, k, static_cast<const T*>(p.ln_weight),
                     static_cast<const T*>(p.ln_bias), p.ln_eps, lane);
    }
    __syncthreads();
  }

  // 3. One output column per warp at a time.
  const T* w = static_cast<const T*>(p.w);
  const T* bias = static_cast<const T*>(p.bias);
  const T* residual = static_cast<const T*>(p.residual);
  T* out = static_cast<T*>(p.out);
  for (int n = static_cast<int>(blockIdx.x) * kWarps + warp; n < p.n; n += static_cast<int>(gridDim.x) * kWarps) {
    const uint4* w_row = reinterpret_cast<const uint4*>(w + static_cast<int64_t>(n) * k);
    float acc[kRows];
#pragma unroll
    for (int r = 0; r < kRows; ++r) acc[r] = 0.f;
    for (int base = lane; base < nvec; base += 32 * kUnroll) {
      uint4 wv[kUnroll];
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) {
        const int v = base + u * 32;
        wv[u] = v < nvec ? __ldg(w_row + v) : make_uint4(0u, 0u, 0u, 0u);
      }
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) {
        const int v = base + u * 32;
        if (v >= nvec) break;
        float wf[8];
        unpack8<T>(wv[u], wf);
#pragma unroll
        for (int r = 0; r < kRows; ++r) {
          float xf[8];
          unpack8<T>(reinterpret_cast<const uint4*>(xs + static_cast<int64_t>(r) * k)[v], xf);
#pragma unroll
          for (int j = 0; j < 8; ++j) acc[r] = fmaf(wf[j], xf[j], acc[r]);
        }
      }
    }
    float mine = 0.f;  // lane r keeps row r's sum (a static index per unrolled r: no local memory)
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      const float s = warp_sum(acc[r]);
      if (lane == r) mine = s;
    }
    if (lane >= kRows) continue;
    const int r = lane;
    float v = mine + (bias != nullptr ? to_float(bias[n]) : 0.f);
    if (p.activation == GemvActivation::kGeluTanh) v = gelu_tanh(v);
    if (p.activation == GemvActivation::kGeluErf) v = gelu_erf(v);
    if (p.kv != nullptr && n >= p.kv_col0) {
      const int c = n - p.kv_col0, width = p.heads * p.head_dim;
      if (c < 2 * width) {
        const int which = c / width, h = (c % width) / p.head_dim, d = c % p.head_dim;
        const int64_t at = which * p.kv_strides[0] + r * p.kv_strides[1] + h * p.kv_strides[2] +
                           (*p.kv_pos) * p.kv_strides[3] + d;
        static_cast<T*>(p.kv)[at] = from_float<T>(v);
      }
    }
    if (residual != nullptr) v += to_float(residual[r * p.residual_stride + n]);
    out[r * p.out_stride + n] = from_float<T>(v);
  }
}

template <typename T, int kRows>
cudaError_t launch_rows(const GemvParams& p, cudaStream_t stream, int num_sms) {
  const size_t smem = static_cast<size_t>(kRows) * static_cast<size_t>(p.k) * sizeof(T);
  const int blocks = std::min((p.n + kWarps - 1) / kWarps, std::max(1, num_sms) * kBlocksPerSm);
  gemv_kernel<T, kRows><<<blocks, kThreads, smem, stream>>>(p);
  return cudaGetLastError();
}

template <typename T>
cudaError_t launch_typed(const GemvParams& p, cudaStream_t stream, int num_sms) {
  switch (p.rows) {
    case 1: return launch_rows<T, 1>(p, stream, num_sms);
    case 2: return launch_rows<T, 2>(p, stream, num_sms);
    case 3: return launch_rows<T, 3>(p, stream, num_sms);
    case 4: return launch_rows<T, 4>(p, stream, num_sms);
    case 5: return launch_rows<T, 5>(p, stream, num_sms);
    case 6: return launch_rows<T, 6>(p, stream, num_sms);
    case 7: return launch_rows<T, 7>(p, stream, num_sms);
    case 8: return launch_rows<T, 8>(p, stream, num_sms);
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace

cudaError_t launch_gemv(const GemvParams& p, cudaStream_t stream, int num_sms) {
  static_assert(kGemvMaxRows == 8, "launch_typed instantiates rows 1..8");
  if (p.n <= 0) return cudaSuccess;
  return p.dtype == ElementType::kFp16 ? launch_typed<__half>(p, stream, num_sms)
                                       : launch_typed<__nv_bfloat16>(p, stream, num_sms);
}

}  // namespace gptbench::kernels
