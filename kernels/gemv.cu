// The decode GEMV for dense fp16/bf16 weights (the kernel body is gemv_kernel.cuh), instantiated
// for rows 1..8, and launch_gemv's dispatch (packed weights: gemv_quant.cu).
#include <cuda_bf16.h>  // __nv_bfloat16
#include <cuda_fp16.h>  // __half

#include "gemv_kernel.cuh"  // gemv::launch_rows, gemv::DenseWeights
#include "gemv_launch.h"    // launch_gemv, launch_gemv_packed, GemvParams

namespace gptbench::kernels {
namespace {

template <typename T>
cudaError_t launch_typed(const GemvParams& p, cudaStream_t stream, int num_sms) {
  using W = gemv::DenseWeights<T>;
  switch (p.rows) {
    case 1: return gemv::launch_rows<T, 1, W>(p, stream, num_sms);
    case 2: return gemv::launch_rows<T, 2, W>(p, stream, num_sms);
    case 3: return gemv::launch_rows<T, 3, W>(p, stream, num_sms);
    case 4: return gemv::launch_rows<T, 4, W>(p, stream, num_sms);
    case 5: return gemv::launch_rows<T, 5, W>(p, stream, num_sms);
    case 6: return gemv::launch_rows<T, 6, W>(p, stream, num_sms);
    case 7: return gemv::launch_rows<T, 7, W>(p, stream, num_sms);
    case 8: return gemv::launch_rows<T, 8, W>(p, stream, num_sms);
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace

cudaError_t launch_gemv(const GemvParams& p, cudaStream_t stream, int num_sms) {
  static_assert(kGemvMaxRows == 8, "launch_typed instantiates rows 1..8");
  if (p.n <= 0) return cudaSuccess;
  if (p.weights != GemvWeights::kDense) return launch_gemv_packed(p, stream, num_sms);
  return p.dtype == ElementType::kFp16 ? launch_typed<__half>(p, stream, num_sms)
                                       : launch_typed<__nv_bfloat16>(p, stream, num_sms);
}

}  // namespace gptbench::kernels
