// Training through the flash variant: a torch::autograd::Function whose forward is our fused
// op and whose backward is our fused backward kernel (kernels/flash_backward.cuh, through
// gptbench/kernels/flash_backward_op.h) wherever it runs: CUDA, fp16/bf16, a flash head dim, H == Hkv.
// Elsewhere (CPU inputs, fp32, grouped-query heads) the backward RECOMPUTES the attention with an
// autograd-capable implementation and differentiates it. Every report names the backward that ran.
//
// The recompute goes through SdpaAttention, which keeps each variant's semantics and cost:
// plain causal -> at::scaled_dot_product_attention(is_causal) (PyTorch's flash/cuDNN backward);
// ALiBi -> an additive bias mask; sliding window -> banded query chunks (blocked_attention.h),
// so time and memory stay proportional to T * W for sparse variants.
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor

#include <string>  // std::string

#include "gptbench/attention/attention.h"  // AttentionSpec, AttentionPositions

namespace gptbench::attention {

// q: (B, H, Tq, D); k, v: (B, H, Tk, D); positions.key_start (B,) int64 or int32 on q's device;
// slopes (H,) fp32 or undefined. Contiguous keys only (training: no cache, no q_pos tensor).
// Returns (B, H, Tq, D) in q's dtype, differentiable in q, k and v. When forward_kernel is not
// null it receives the forward kernel's name, from the op call itself ("flash:<kernel>" on CUDA,
// "flash-op:cpu_reference_<compute>_<policy>" for CPU inputs). last_flash_backward_kernel
// (gptbench/attention/flash_backward.h) names the backward.
at::Tensor flash_attention_recompute_backward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                              const AttentionPositions& positions, const AttentionSpec& spec,
                                              const at::Tensor& slopes, std::string* forward_kernel = nullptr);

}  // namespace gptbench::attention
