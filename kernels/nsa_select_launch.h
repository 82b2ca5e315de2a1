// Host entry points of nsa's sparse-branch kernels. Plain C++ with the CUDA runtime's C API only,
// like flash_launch.h, so the .cpp side never compiles CUDA device code. Run in this order on one
// stream; each reads what the one before wrote. The caller has checked shapes, dtypes and devices
// (nsa_select_op.cpp: nsa_select_supported).
#pragma once

#include <cuda_runtime_api.h>  // cudaStream_t, cudaError_t

#include "nsa_select_params.h"  // NsaSelectParams

namespace gptbench::kernels {

// The largest n (selected blocks per query) and group size (query heads per key/value head) the
// kernels take, and their head dims.
inline constexpr int kNsaMaxSelected = 64;
inline constexpr int kNsaMaxGroup = 8;
inline constexpr int kNsaHeadDims[] = {64, 128};

// The compressed branch (p.out_cmp) and each query's block scores (p.block_score).
cudaError_t launch_nsa_compressed(const NsaSelectParams& p, cudaStream_t stream);
// The n best blocks of each query's scores (p.blocks): highest first, equal scores the lower block first.
cudaError_t launch_nsa_topk(const NsaSelectParams& p, cudaStream_t stream);
// Attention over the selected blocks' tokens (p.out_slc), causal inside the query's own block.
cudaError_t launch_nsa_selected(const NsaSelectParams& p, cudaStream_t stream);

}  // namespace gptbench::kernels
