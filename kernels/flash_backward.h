// Host entry point of the fused attention backward (flash_backward.cuh). Plain C++ with the CUDA
// runtime's C API only, like flash_launch.h, so the torch op (.cpp) fills the parameters and the
// kernels (.cu) read them without either side compiling the other's headers.
#pragma once

#include <cuda_runtime_api.h>  // cudaStream_t, cudaError_t

#include "attention_params.h"  // AttentionParams

namespace gptbench::kernels {

// The forward's parameters plus what the backward reads and writes. fwd.out is the forward's output
// O; fwd.lse its per-row log2-sum-exp. H == Hkv (no grouped-query backward). The tensors below are
// contiguous: dout, dq, (B, H, Tq, D); dk, dv (B, H, Tk, D); delta (B, H, Tq); dq_accum (B, H, Tq, D).
struct AttentionBackwardParams {
  AttentionParams fwd;
  const void* dout = nullptr;  // dL/dO
  void* dq = nullptr;
  void* dk = nullptr;
  void* dv = nullptr;
  float* delta = nullptr;     // scratch: D_i = rowsum(dO o O), written by the first kernel
  float* dq_accum = nullptr;  // scratch, zero-filled by the caller: fp32 dQ sums (atomic mode only)
  // true: dQ by a separate pass per query block (bitwise reproducible, recomputes P once more);
  // false: the key-block kernel adds its dQ share with fp32 atomics, then one conversion.
  bool deterministic = false;
};

// Runs the preprocessing (delta), the dK/dV kernel and dQ (atomics + conversion, or the
// deterministic pass). cudaErrorInvalidValue for shapes the table does not hold.
cudaError_t launch_flash_backward(const AttentionBackwardParams& p, cudaStream_t stream);

}  // namespace gptbench::kernels
