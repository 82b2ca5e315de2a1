// Packed int8 / int4 / nf4 weights to dense fp16/bf16 (dequantize_launch.h). Each thread decodes 16-byte
// vectors of the packed weight with the GEMV's decoders (gemv_kernel.cuh: the arithmetic of
// quant::dequantize) and writes their 16 or 32 values, rounded once, as 16-byte stores. A grid-stride
// loop over the N * K / kElems vectors: one pass over the packed weight and one over the output.
// Instances: 3 formats x fp16/bf16 = 6.
#include <cuda_bf16.h>  // __nv_bfloat16
#include <cuda_fp16.h>  // __half

#include "dequantize_launch.h"  // launch_dequantize
#include "gemv_kernel.cuh"      // gemv::Int8Weights, gemv::Int4Weights, gemv::Nf4Weights, from_float

namespace gptbench::kernels {
namespace {

constexpr int kThreads = 256;
constexpr int kBlocksPerSm = 8;

template <typename T, typename W>
__global__ void __launch_bounds__(kThreads) dequantize_kernel(const GemvParams p, T* out) {
  __shared__ float tables[W::kTables ? kGemvCodeTableFloats : 1];
  if constexpr (W::kTables) {
    for (int i = static_cast<int>(threadIdx.x); i < kGemvCodeTableFloats; i += kThreads) tables[i] = p.code_tables[i];
    __syncthreads();
  }
  const int64_t per_row = p.k / W::kElems;  // 16-byte vectors per weight row
  const int64_t total = static_cast<int64_t>(p.n) * per_row;
  const auto* w = static_cast<const uint8_t*>(p.w);
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * kThreads) {
    const int n = static_cast<int>(i / per_row), v = static_cast<int>(i % per_row);
    const uint4 raw = __ldg(reinterpret_cast<const uint4*>(w + static_cast<int64_t>(n) * W::row_bytes(p.k)) + v);
    float wf[W::kElems];
    W::decode(p, n, v, raw, tables, wf);
    // kElems values of T = kElems * 2 bytes: 2 (int8) or 4 (4-bit) 16-byte stores.
    uint4* dst = reinterpret_cast<uint4*>(out + static_cast<int64_t>(n) * p.k + static_cast<int64_t>(v) * W::kElems);
#pragma unroll
    for (int s = 0; s < W::kElems / 8; ++s) {
      uint4 packed;
      T* t = reinterpret_cast<T*>(&packed);
#pragma unroll
      for (int j = 0; j < 8; ++j) t[j] = gemv::from_float<T>(wf[s * 8 + j]);
      dst[s] = packed;
    }
  }
}

template <typename T, typename W>
cudaError_t launch_format(const GemvParams& p, void* out, cudaStream_t stream, int num_sms) {
  const int64_t vectors = static_cast<int64_t>(p.n) * (p.k / W::kElems);
  const int64_t wanted = (vectors + kThreads - 1) / kThreads;
  const int blocks = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(wanted, int64_t{num_sms} * kBlocksPerSm)));
  dequantize_kernel<T, W><<<blocks, kThreads, 0, stream>>>(p, static_cast<T*>(out));
  return cudaGetLastError();
}

template <typename T>
cudaError_t launch_typed(const GemvParams& p, void* out, cudaStream_t stream, int num_sms) {
  switch (p.weights) {
    case GemvWeights::kInt8: return launch_format<T, gemv::Int8Weights>(p, out, stream, num_sms);
    case GemvWeights::kInt4: return launch_format<T, gemv::Int4Weights>(p, out, stream, num_sms);
    case GemvWeights::kNf4: return launch_format<T, gemv::Nf4Weights>(p, out, stream, num_sms);
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace

cudaError_t launch_dequantize(const GemvParams& p, void* out, cudaStream_t stream, int num_sms) {
  if (p.n < 1 || p.k < 1) return cudaErrorInvalidValue;
  return p.dtype == ElementType::kFp16 ? launch_typed<__half>(p, out, stream, num_sms)
                                       : launch_typed<__nv_bfloat16>(p, out, stream, num_sms);
}

}  // namespace gptbench::kernels
