// The training forward of the flash path (flash_backward_op.cpp): the CUDA op's prefill, which also
// writes each row's log-sum-exp for the backward kernel. Defined in attention_cuda_op.cpp (CUDA builds).
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor

#include "gptbench/kernels/attention_op.h"  // AttentionOptions

namespace gptbench::kernels {

// q: (B, H, Tq, D); k, v: (B, Hkv, Tk, D); key_start (B,); options.scale set. Runs the sm_80 prefill
// (whatever options.flash_arch says) and fills lse, (B, H, Tq) fp32 contiguous, in the log2 units
// of attention_params.h. Returns out (B, H, Tq, D).
at::Tensor attention_cuda_with_lse(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                   const at::Tensor& key_start, const AttentionOptions& options, const at::Tensor& lse);

}  // namespace gptbench::kernels
