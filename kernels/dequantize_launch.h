// Host entry point of the dequantize kernel (dequantize.cu): a packed int8 / int4 / nf4 weight to a dense
// fp16/bf16 (N, K) matrix in one pass, for the prefill path of quantized_linear (dequantize, then one cuBLAS
// GEMM). Plain C++ with the CUDA runtime's C API only, like gemv_launch.h.
#pragma once

#include <cuda_runtime_api.h>  // cudaStream_t, cudaError_t

#include "gemv_params.h"  // GemvParams

namespace gptbench::kernels {

// The weight fields of `p` (w, weights != kDense, n, k, w_scales, scale_dtype, w_zeros, group, the nf4
// absmax fields and code_tables) and p.dtype name the input; `out` is (p.n, p.k) contiguous of p.dtype.
// Element by element the values of quant::dequantize (fp32 arithmetic, one rounding to p.dtype). The
// caller has checked K (a multiple of 16 for int8, 32 for int4/nf4) and the 16-byte alignment of p.w.
cudaError_t launch_dequantize(const GemvParams& p, void* out, cudaStream_t stream, int num_sms);

}  // namespace gptbench::kernels
