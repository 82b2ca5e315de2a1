// What every kernel lab shares: a checked CUDA call that exits with file and line, random
// inputs drawn on the device, and the timing method of kernels/NOTES.md (CUDA events, L2
// flushed before each run, median of `runs` after 3 warm-ups). No torch.
#pragma once

#include <cuda_bf16.h>     // __nv_bfloat16, __float2bfloat16
#include <cuda_fp16.h>     // __half, __float2half
#include <cuda_runtime.h>  // cudaMalloc, cudaMemsetAsync, cudaEvent*

#include <algorithm>   // std::sort
#include <cstdio>      // std::printf
#include <cstdlib>     // std::exit
#include <functional>  // std::function
#include <vector>      // std::vector

#define CHECK_CUDA(x)                                                                 \
  do {                                                                                \
    cudaError_t e_ = (x);                                                             \
    if (e_ != cudaSuccess) {                                                          \
      std::printf("%s:%d: %s: %s\n", __FILE__, __LINE__, #x, cudaGetErrorString(e_)); \
      std::exit(1);                                                                   \
    }                                                                                 \
  } while (0)

__device__ __forceinline__ void store_float(__half* p, float x) { *p = __float2half(x); }
__device__ __forceinline__ void store_float(__nv_bfloat16* p, float x) { *p = __float2bfloat16(x); }

// n values, roughly normal (mean 0, unit variance), a hash of (index, seed): never zeros.
template <typename T>
__global__ void fill_normalish(T* p, size_t n, unsigned seed) {
  for (size_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    unsigned x = static_cast<unsigned>(i) * 2654435761u ^ seed;
    x ^= x >> 13;
    x *= 0x5bd1e995u;
    x ^= x >> 15;
    float s = 0.f;  // sum of 4 uniforms: roughly normal, mean 0, unit variance
    for (int k = 0; k < 4; ++k) s += static_cast<float>((x >> (8 * k)) & 0xff) / 255.f;
    store_float(p + i, (s - 2.f) * 1.732f);
  }
}

struct Timer {
  void* flush = nullptr;
  size_t flush_bytes = 0;
  Timer() {
    int l2 = 0;
    CHECK_CUDA(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, 0));
    flush_bytes = 2 * size_t(l2);
    CHECK_CUDA(cudaMalloc(&flush, flush_bytes));
  }
  ~Timer() { cudaFree(flush); }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  double median_ms(const std::function<cudaError_t()>& fn, int runs = 30) {
    cudaEvent_t a, b;
    CHECK_CUDA(cudaEventCreate(&a));
    CHECK_CUDA(cudaEventCreate(&b));
    std::vector<float> ms;
    for (int it = 0; it < 3 + runs; ++it) {
      CHECK_CUDA(cudaMemsetAsync(flush, it, flush_bytes));
      CHECK_CUDA(cudaEventRecord(a));
      CHECK_CUDA(fn());
      CHECK_CUDA(cudaEventRecord(b));
      CHECK_CUDA(cudaEventSynchronize(b));
      float t = 0;
      CHECK_CUDA(cudaEventElapsedTime(&t, a, b));
      if (it >= 3) ms.push_back(t);
    }
    CHECK_CUDA(cudaEventDestroy(a));
    CHECK_CUDA(cudaEventDestroy(b));
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
  }
};
