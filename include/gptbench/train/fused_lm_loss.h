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

// A loss term added to the cross-entropy chunk by chunk, inside the same pass (distillation's KL,
// distill_loss.h): it sees each chunk's logits before the cross-entropy overwrites them with its
// gradient, then turns that gradient into the gradient of the combined loss, and finally combines
// the summed cross-entropy with its own sum. Rows are the flattened (B*T) positions.
class ChunkTerm {
 public:
  virtual ~ChunkTerm() = default;
  // logits (n, V) of rows [start, start + n) in the compute dtype, before the cross-entropy.
  virtual void see_logits(int64_t start, const at::Tensor& logits) = 0;
  // dlogits (n, V): d(cross-entropy sum)/d(logits) of the same rows (0 on ignored rows), replaced in
  // place by d(combined loss)/d(logits). Called only when gradients are computed.
  virtual void mix_gradient(int64_t start, at::Tensor& dlogits) = 0;
  // The combined loss from the summed cross-entropy (0-dim, accumulation dtype).
  virtual at::Tensor combine(const at::Tensor& cross_entropy_sum) = 0;
};

// weight (V, C) padded with zero rows to a multiple of 64 and cast to dtype: (Vp, C). The logits
// h @ padded^T have zero columns past V; every GEMM dimension is aligned (see fused_lm_loss.cpp).
at::Tensor padded_lm_head(const at::Tensor& weight, c10::ScalarType dtype);

// hidden (B, T, C): ln_f's output (LogitsMode::kHidden), any floating dtype; weight (V, C): the tied
// wte (the fp32 master weight under autocast, cast to the compute dtype here); targets (B, T) int64,
// kIgnoreTarget (train_data.h) where not counted.
// Returns the sum over counted targets of -log softmax(h @ W^T)[target], a 0-dim tensor in fp32
// (fp64 when the compute dtype is fp64), differentiable in hidden and weight when grad mode is on
// and either requires grad. Runs with autocast excluded: the dtypes are the ones chosen here.
// With a `term`, the returned loss (and its gradient) is term->combine(cross-entropy sum).
at::Tensor fused_lm_loss(const at::Tensor& hidden, const at::Tensor& weight, const at::Tensor& targets,
                         const FusedLmLossOptions& options, ChunkTerm* term = nullptr);

// What fused_lm_loss runs on `device`, for reports: "fused-chunked(8192 rows):cuda" (our kernel) or
// "fused-chunked(8192 rows):cpu-reference-ops" (the op's ATen reference).
std::string fused_lm_loss_name(const FusedLmLossOptions& options, c10::Device device);

}  // namespace gptbench::train
