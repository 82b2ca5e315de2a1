// The decode GEMV for packed int8 / int4 / nf4 weights (gemv_kernel.cuh's body with a decoder per
// format), instantiated for rows 1, 2, 4, 8 (gemv_packed_rows rounds a call's rows up) and fp16/bf16
// inputs: 24 instances.
#include <cuda_bf16.h>  // __nv_bfloat16
#include <cuda_fp16.h>  // __half

#include "gemv_kernel.cuh"  // gemv::launch_rows, gemv::Int8Weights, gemv::Int4Weights, gemv::Nf4Weights
#include "gemv_launch.h"    // launch_gemv_packed, GemvParams

namespace gptbench::kernels {
namespace {

template <typename T, typename W>
cudaError_t launch_format(const GemvParams& p, cudaStream_t stream, int num_sms) {
  switch (gemv_packed_rows(p.rows)) {
    case 1: return gemv::launch_rows<T, 1, W>(p, stream, num_sms);
    case 2: return gemv::launch_rows<T, 2, W>(p, stream, num_sms);
    case 4: return gemv::launch_rows<T, 4, W>(p, stream, num_sms);
    case 8: return gemv::launch_rows<T, 8, W>(p, stream, num_sms);
    default: return cudaErrorInvalidValue;
  }
}

template <typename T>
cudaError_t launch_typed(const GemvParams& p, cudaStream_t stream, int num_sms) {
  switch (p.weights) {
    case GemvWeights::kInt8: return launch_format<T, gemv::Int8Weights>(p, stream, num_sms);
    case GemvWeights::kInt4: return launch_format<T, gemv::Int4Weights>(p, stream, num_sms);
    case GemvWeights::kNf4: return launch_format<T, gemv::Nf4Weights>(p, stream, num_sms);
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace

cudaError_t launch_gemv_packed(const GemvParams& p, cudaStream_t stream, int num_sms) {
  if (p.rows < 1 || p.rows > kGemvMaxRows) return cudaErrorInvalidValue;
  return p.dtype == ElementType::kFp16 ? launch_typed<__half>(p, stream, num_sms)
                                       : launch_typed<__nv_bfloat16>(p, stream, num_sms);
}

}  // namespace gptbench::kernels
