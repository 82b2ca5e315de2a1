// Host entry point of the decode GEMV kernel. Plain C++ with the CUDA runtime's C API only,
// like flash_launch.h, so the .cpp side never compiles CUDA device code.
#pragma once

#include <cuda_runtime_api.h>  // cudaStream_t, cudaError_t

#include "gemv_params.h"  // GemvParams

namespace gptbench::kernels {

// One launch for 1 <= p.rows <= kGemvMaxRows rows; the caller has checked sizes, strides and
// 16-byte alignment (see gptbench/kernels/fused_linear.h). num_sms caps the grid.
// Dense or packed weights (p.weights); packed ones go to launch_gemv_packed.
cudaError_t launch_gemv(const GemvParams& p, cudaStream_t stream, int num_sms);

// The packed-weight half of launch_gemv (gemv_quant.cu); p.rows rounds up to gemv_packed_rows, so
// the caller checks shared memory for that many rows plus the nf4 code tables.
cudaError_t launch_gemv_packed(const GemvParams& p, cudaStream_t stream, int num_sms);

}  // namespace gptbench::kernels
