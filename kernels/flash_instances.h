// Declarations of the per-instantiation entry points. Each (dtype, head dim, policy) is
// defined in its own generated .cu file (see kernels/CMakeLists.txt) so that nvcc compiles
// them in parallel; the dispatcher sees only these declarations.
#pragma once

#include <cuda_runtime_api.h>  // cudaStream_t, cudaError_t

#include "attention_params.h"  // AttentionParams, MaskPolicy
#include "flash_backward.h"    // AttentionBackwardParams

namespace gptbench::kernels {

template <typename T, int D, MaskPolicy P>
cudaError_t run_flash_prefill(const AttentionParams& p, cudaStream_t stream);

template <typename T, int D, MaskPolicy P>
cudaError_t run_flash_decode(const AttentionParams& p, cudaStream_t stream);

// Resident CTAs per SM of the decode kernel that p (its grouped-query ratio) runs (sets the split count).
template <typename T, int D, MaskPolicy P>
int flash_decode_ctas_per_sm(const AttentionParams& p);

// The backward: one instantiation per (element type, head dim); the policy is a runtime value.
template <typename T, int D>
cudaError_t run_flash_backward(const AttentionBackwardParams& p, cudaStream_t stream);

}  // namespace gptbench::kernels
