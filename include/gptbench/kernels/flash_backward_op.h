// The training path of our flash kernels: a forward that also returns each row's log-sum-exp and
// the fused backward (kernels/flash_backward.cuh) that consumes it. src/attention/flash_autograd
// wraps them in an autograd Function; shapes the kernels lack go through its SDPA recompute.
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor

#include <string>  // std::string

#include "gptbench/kernels/attention_op.h"  // AttentionOptions

namespace gptbench::kernels {

// "" when flash_forward_with_lse and flash_backward run these inputs (a CUDA sm_80+ device, fp16/bf16,
// a flash head dim, H == Hkv, contiguous keys, flash kernels compiled); otherwise why not, in words.
// q: (B, H, Tq, D); k: (B, Hkv, Tk, D).
std::string flash_backward_unsupported(const at::Tensor& q, const at::Tensor& k, const AttentionOptions& options);

struct FlashForward {
  at::Tensor out;      // (B, H, Tq, D), q's dtype
  at::Tensor lse;      // (B, H, Tq) fp32, log2 units (kernels/attention_params.h)
  std::string kernel;  // the forward kernel's name
};

// The forward of the training path (the sm_80 prefill). q: (B, H, Tq, D); k, v: (B, H, Tk, D);
// key_start (B,) int32 or int64.
FlashForward flash_forward_with_lse(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                    const at::Tensor& key_start, const AttentionOptions& options);

struct FlashGradients {
  at::Tensor dq, dk, dv;  // shapes and dtype of q, k, v
  std::string kernel;     // e.g. "flash_bwd_sm80_bf16_d64_causal" (+ "_deterministic")
};

// Gradients of flash_forward_with_lse's out for dout (B, H, Tq, D), given its out and lse and the same
// inputs and options. deterministic: dQ by a separate pass (bitwise reproducible) instead of atomics.
FlashGradients flash_backward(const at::Tensor& dout, const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                              const at::Tensor& out, const at::Tensor& lse, const at::Tensor& key_start,
                              const AttentionOptions& options, bool deterministic);

}  // namespace gptbench::kernels
