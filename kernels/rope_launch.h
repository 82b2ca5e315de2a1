// Host entry point of the fused RoPE kernel. Plain C++ with the CUDA runtime's C API only, like
// flash_launch.h, so the .cpp side never compiles CUDA device code.
#pragma once

#include <cuda_runtime_api.h>  // cudaStream_t, cudaError_t

#include "rope_params.h"  // RopeParams, RopeElement

namespace gptbench::kernels {

// One launch: reads p.qkv once, writes the rotated q, and the rotated k (or, with p.kv, the rotated k
// and the v of the step into the cache slot). The caller has checked shapes, dtypes and devices.
cudaError_t launch_rope_split_qkv(const RopeParams& p, cudaStream_t stream);

}  // namespace gptbench::kernels
