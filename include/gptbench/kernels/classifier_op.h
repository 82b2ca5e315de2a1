// The gptbench::classifier_loss_grad_ torch op: for rows of logits and their targets, the
// softmax cross-entropy loss of each row and, in the same pass, its gradient written over the
// logits (llm.c's fused_classifier step). CUDA: our kernel (kernels/classifier.cu); CPU: the
// ATen reference (fp32 log_softmax, fp64 for fp64 logits), which the tests compare against.
//
// Schema (a TORCH_LIBRARY_FRAGMENT of gptbench):
//   gptbench::classifier_loss_grad_(Tensor(a!) logits, Tensor targets, int ignore_index,
//                                   bool write_grad) -> Tensor
//   logits (N, V): fp32, bf16 or fp16 (fp64 on the CPU), columns contiguous, any row stride.
//   targets (N,) int64: a class in [0, V), or ignore_index for a row that is not counted.
//   Returns loss (N,) fp32 (fp64 for fp64 logits): logsumexp(row) - row[target], 0 for ignored
//   rows. With write_grad the logits become softmax(row) - onehot(target) in their own dtype
//   (zero rows for ignored targets); without it they are left unchanged.
//   A target outside [0, V) that is not ignore_index: the CPU throws; the CUDA kernel cannot throw
//   without a host synchronisation and writes NaN into that row's loss and gradient instead.
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor

#include <cstdint>  // int64_t

namespace gptbench::kernels {

inline constexpr const char* kClassifierOpName = "gptbench::classifier_loss_grad_";

enum class ClassifierGrad { kWrite, kSkip };  // kSkip: loss only (validation), the logits stay

// Calls the op through the dispatcher (CPU or CUDA by the logits' device).
// logits (N, V), overwritten with dlogits under kWrite; targets (N,) int64. Returns loss (N,).
at::Tensor classifier_loss_grad_(at::Tensor& logits, const at::Tensor& targets, int64_t ignore_index,
                                 ClassifierGrad grad);

// True when this build compiled the CUDA classifier kernel (configured with nvcc).
bool classifier_kernel_compiled();

}  // namespace gptbench::kernels
