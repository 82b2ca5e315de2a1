// Host entry points of the decode megakernel (decode_megakernel.cu, compiled for sm_90a only). Plain C++ with
// the CUDA runtime's C API, like gemv_launch.h, so that the torch side never compiles device code.
#pragma once

#include <cuda_runtime_api.h>  // cudaStream_t, cudaError_t

#include "decode_megakernel_params.h"  // MegakernelParams

namespace gptbench::kernels {

// Opts the instance for p.dtype in to the device's dynamic shared memory limit and answers how many of its CTAs
// with p.smem.total bytes fit on one SM (0: none; the caller refuses). Once per state, not per step; the current
// device is the state's (the caller's guard).
cudaError_t prepare_decode_megakernel(const MegakernelParams& p, int* ctas_per_sm);

// One decode step: p.grid CTAs of megakernel::kThreads threads, launched cooperatively (all resident, or the
// launch fails), capturable into a CUDA graph.
cudaError_t launch_decode_megakernel(const MegakernelParams& p, cudaStream_t stream);

}  // namespace gptbench::kernels
