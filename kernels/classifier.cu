// The classifier kernel (classifier_launch.h): one CTA per row of logits. Pass 1 reads the row
// once and keeps an online (max, sum of exp) per thread in fp32, reduced over the CTA into the
// log-sum-exp; the loss is lse - row[target]. Pass 2 reads the row again and writes
// softmax - onehot over it in place, in the logits' dtype. Memory bound: one read for the
// statistics, one read and one write for the gradient, 16-byte vectors when the row is aligned
// (a scalar loop otherwise, and for the last V % vector-width columns).
#include <cuda_bf16.h>     // __nv_bfloat16, __bfloat162float, __float2bfloat16_rn
#include <cuda_fp16.h>     // __half, __half2float, __float2half_rn
#include <cuda_runtime.h>  // uint4, __shfl_xor_sync, cudaGetLastError

#include <cmath>    // INFINITY, NAN
#include <cstdint>  // int64_t, uintptr_t, INT32_MAX

#include "classifier_launch.h"  // ClassifierParams, kClassifierThreads, launch_classifier_loss_grad

namespace gptbench::kernels {
namespace {

// fp32 <-> storage type.
template <typename T>
struct Element;
template <>
struct Element<float> {
  __device__ __forceinline__ static float to_float(float x) { return x; }
  __device__ __forceinline__ static float from_float(float x) { return x; }
};
template <>
struct Element<__half> {
  __device__ __forceinline__ static float to_float(__half x) { return __half2float(x); }
  __device__ __forceinline__ static __half from_float(float x) { return __float2half_rn(x); }
};
template <>
struct Element<__nv_bfloat16> {
  __device__ __forceinline__ static float to_float(__nv_bfloat16 x) { return __bfloat162float(x); }
  __device__ __forceinline__ static __nv_bfloat16 from_float(float x) { return __float2bfloat16_rn(x); }
};

// max that keeps a NaN (fmaxf drops it, which would hide a NaN logit behind a finite loss).
__device__ __forceinline__ float max_keep_nan(float a, float b) { return (a != a || a > b) ? a : b; }

// (m, s) <- the merge of two partial softmax statistics: s = sum exp(x - m) over the union.
// A side with m == -inf holds nothing (or only -inf logits) and adds nothing.
__device__ __forceinline__ void merge(float& m, float& s, float m2, float s2) {
  const float mn = max_keep_nan(m, m2);
  if (mn == -INFINITY) return;
  s = (m == -INFINITY ? 0.f : s * expf(m - mn)) + (m2 == -INFINITY ? 0.f : s2 * expf(m2 - mn));
  m = mn;
}

// Folds n values into (m, s), one rescale per call.
template <int n>
__device__ __forceinline__ void accumulate(float& m, float& s, const float (&v)[n]) {
  float vmax = v[0];
#pragma unroll
  for (int k = 1; k < n; ++k) vmax = max_keep_nan(vmax, v[k]);
  if (vmax == -INFINITY) return;
  float vsum = 0.f;
#pragma unroll
  for (int k = 0; k < n; ++k) vsum += expf(v[k] - vmax);
  merge(m, s, vmax, vsum);
}

// Butterfly over the warp: every lane ends with the same merged value (the merge is symmetric).
__device__ __forceinline__ void warp_merge(float& m, float& s) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) {
    const float m2 = __shfl_xor_sync(0xffffffffu, m, offset);
    const float s2 = __shfl_xor_sync(0xffffffffu, s, offset);
    merge(m, s, m2, s2);
  }
}

template <typename T, int kVec>
__device__ __forceinline__ void unpack(const uint4& raw, float (&v)[kVec]) {
  const T* e = reinterpret_cast<const T*>(&raw);
#pragma unroll
  for (int k = 0; k < kVec; ++k) v[k] = Element<T>::to_float(e[k]);
}

template <typename T, int kVec>
__device__ __forceinline__ uint4 pack(const float (&v)[kVec]) {
  uint4 raw;
  T* e = reinterpret_cast<T*>(&raw);
#pragma unroll
  for (int k = 0; k < kVec; ++k) e[k] = Element<T>::from_float(v[k]);
  return raw;
}

template <typename T>
__global__ void __launch_bounds__(kClassifierThreads) classifier_loss_grad_kernel(const ClassifierParams p) {
  constexpr int kVec = 16 / sizeof(T);  // elements per 16-byte vector
  constexpr int kWarps = kClassifierThreads / 32;
  static_assert(kClassifierThreads % 32 == 0 && kWarps <= 32, "the second reduction stage is one warp");
  __shared__ float s_max[kWarps], s_sum[kWarps];
  __shared__ float s_lse;

  const int64_t row = blockIdx.x;
  const int tid = threadIdx.x;
  const int vocab = p.vocab;
  T* x = static_cast<T*>(p.logits) + row * p.row_stride;
  uint4* xv = reinterpret_cast<uint4*>(x);
  // Uniform over the CTA: the vector body covers [0, n_vec * kVec), the scalar tail the rest.
  const int n_vec = reinterpret_cast<uintptr_t>(x) % 16 == 0 ? vocab / kVec : 0;
  const int tail = n_vec * kVec;
  const int64_t target = p.targets[row];

  if (target == p.ignore_index || target < 0 || target >= vocab) {
    // Ignored: loss 0 and a zero gradient. Out of range: NaN in both, so a bad target cannot pass unseen.
    const float fill = target == p.ignore_index ? 0.f : NAN;
    if (tid == 0) p.loss[row] = fill;
    if (!p.write_grad) return;
    float v[kVec];
#pragma unroll
    for (int k = 0; k < kVec; ++k) v[k] = fill;
    const uint4 raw = pack<T, kVec>(v);
    for (int i = tid; i < n_vec; i += kClassifierThreads) xv[i] = raw;
    for (int i = tail + tid; i < vocab; i += kClassifierThreads) x[i] = Element<T>::from_float(fill);
    return;
  }

  // Pass 1: online max and sum of exp.
  float m = -INFINITY, s = 0.f;
  for (int i = tid; i < n_vec; i += kClassifierThreads) {
    float v[kVec];
    unpack<T, kVec>(xv[i], v);
    accumulate<kVec>(m, s, v);
  }
  for (int i = tail + tid; i < vocab; i += kClassifierThreads) {
    const float v[1] = {Element<T>::to_float(x[i])};
    accumulate<1>(m, s, v);
  }
  warp_merge(m, s);
  const int warp = tid / 32, lane = tid % 32;
  if (lane == 0) {
    s_max[warp] = m;
    s_sum[warp] = s;
  }
  __syncthreads();
  if (warp == 0) {
    m = lane < kWarps ? s_max[lane] : -INFINITY;
    s = lane < kWarps ? s_sum[lane] : 0.f;
    warp_merge(m, s);
    if (lane == 0) {
      const float lse = m + logf(s);
      s_lse = lse;
      // Read before the barrier below: no thread has written the row yet.
      p.loss[row] = lse - Element<T>::to_float(x[target]);
    }
  }
  __syncthreads();
  if (!p.write_grad) return;

  // Pass 2: dlogits = exp(x - lse) - [column == target], over the logits.
  const float lse = s_lse;
  for (int i = tid; i < n_vec; i += kClassifierThreads) {
    float v[kVec];
    unpack<T, kVec>(xv[i], v);
#pragma unroll
    for (int k = 0; k < kVec; ++k) v[k] = expf(v[k] - lse) - (i * kVec + k == target ? 1.f : 0.f);
    xv[i] = pack<T, kVec>(v);
  }
  for (int i = tail + tid; i < vocab; i += kClassifierThreads) {
    const float v = Element<T>::to_float(x[i]);
    x[i] = Element<T>::from_float(expf(v - lse) - (i == target ? 1.f : 0.f));
  }
}

template <typename T>
cudaError_t launch_typed(const ClassifierParams& p, cudaStream_t stream) {
  classifier_loss_grad_kernel<T><<<static_cast<unsigned>(p.rows), kClassifierThreads, 0, stream>>>(p);
  return cudaGetLastError();
}

}  // namespace

cudaError_t launch_classifier_loss_grad(const ClassifierParams& p, cudaStream_t stream) {
  if (p.rows < 0 || p.rows > INT32_MAX || p.vocab <= 0 || p.row_stride < p.vocab) return cudaErrorInvalidValue;
  if (p.rows == 0) return cudaSuccess;
  if (p.logits == nullptr || p.targets == nullptr || p.loss == nullptr) return cudaErrorInvalidValue;
  switch (p.dtype) {
    case ClassifierDtype::kFp32: return launch_typed<float>(p, stream);
    case ClassifierDtype::kFp16: return launch_typed<__half>(p, stream);
    case ClassifierDtype::kBf16: return launch_typed<__nv_bfloat16>(p, stream);
  }
  return cudaErrorInvalidValue;
}

}  // namespace gptbench::kernels
