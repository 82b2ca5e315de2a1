// The tied lm_head and the softmax cross-entropy in one chunked pass, never materialising the
// (B, T, V) logits: per chunk of rows, logits = h @ W^T in the compute dtype, then
// gptbench::classifier_loss_grad_ (kernels/classifier.cu on CUDA) turns them into per-row losses
// and, in the same pass, dlogits = softmax - onehot, from which grad_h = dlogits @ W and
// grad_W += dlogits^T @ h (fp32 accumulation) follow at once. The gradients are computed in the
// forward (the loss is a sum, its gradient does not depend on anything later) and the backward
// only scales them by grad_output. Without grad mode (validation) only the losses are computed.
#pragma once

#include <ATen/core/Tensor.h>     // at::Tensor
#include <c10/core/Device.h>      // c10::Device
#include <c10/core/ScalarType.h>  // c10::ScalarType

#include <cstdint>  // int64_t
#include <string>   // std::string

#include "gptbench/train/train_config.h"  // kDefaultLossChunkRows

namespace gptbench::train {

struct FusedLmLossOptions {
  c10::ScalarType compute_dtype = c10::ScalarType::Float;  // of both matmuls and the logits (bf16/fp16 under autocast)
  int64_t chunk_rows = kDefaultLossChunkRows;              // tokens per chunk; the logits scratch is chunk_rows x V
};

// hidden (B, T, C): ln_f's output (LogitsMode::kHidden), any floating dtype; weight (V, C): the tied
// wte (the fp32 master weight under autocast, cast to the compute dtype here); targets (B, T) int64,
// kIgnoreTarget (train_data.h) where not counted.
// Returns the sum over counted targets of -log softmax(h @ W^T)[target], a 0-dim tensor in fp32
// (fp64 when the compute dtype is fp64), differentiable in hidden and weight when grad mode is on
// and either requires grad. Runs with autocast excluded: the dtypes are the ones chosen here.
at::Tensor fused_lm_loss(const at::Tensor& hidden, const at::Tensor& weight, const at::Tensor& targets,
                         const FusedLmLossOptions& options);

// What fused_lm_loss runs on `device`, for reports: "fused-chunked(8192 rows):cuda" (our kernel) or
// "fused-chunked(8192 rows):cpu-reference-ops" (the op's ATen reference).
std::string fused_lm_loss_name(const FusedLmLossOptions& options, c10::Device device);

}  // namespace gptbench::train
