// The sm_90a (Hopper) prefill path's entry point (its tile shape and accepted inputs:
// flash_prefill_sm90_config.h). Plain C++ with the CUDA runtime's C API only, so that the dispatcher
// needs no kernel code. The kernel is kernels/flash_prefill_sm90.cuh.
#pragma once

#include <cuda_runtime_api.h>  // cudaStream_t, cudaError_t

#include "attention_params.h"  // AttentionParams, MaskPolicy

namespace gptbench::kernels {

// Defined per (dtype, head dim, policy) by an explicit instantiation of flash_prefill_sm90.cuh.
// Returns cudaErrorNotSupported on a device that is not compute capability 9.x and
// cudaErrorInvalidValue when prefill_sm90_layout_ok fails.
template <typename T, int D, MaskPolicy P>
cudaError_t run_flash_prefill_sm90(const AttentionParams& p, cudaStream_t stream);

}  // namespace gptbench::kernels
