// CUDA implementation of gptbench::classifier_loss_grad_: checks, fills ClassifierParams and
// launches our kernel (classifier.cu) on the current stream. Built only when nvcc is present.
#include <ATen/cuda/CUDAContext.h>  // at::cuda::getCurrentCUDAStream
#include <ATen/ops/empty.h>         // at::empty
#include <c10/cuda/CUDAGuard.h>     // c10::cuda::CUDAGuard
#include <torch/library.h>          // TORCH_LIBRARY_IMPL

#include <algorithm>  // std::max
#include <cstdint>    // INT32_MAX

#include "classifier_inputs.h"    // check_classifier_inputs
#include "classifier_launch.h"    // launch_classifier_loss_grad, ClassifierParams
#include "gptbench/util/check.h"  // GPTBENCH_CHECK

namespace gptbench::kernels {
namespace {

ClassifierDtype classifier_dtype(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return ClassifierDtype::kFp32;
    case at::kHalf: return ClassifierDtype::kFp16;
    case at::kBFloat16: return ClassifierDtype::kBf16;
    default: break;
  }
  throw Error(fmt::format("gptbench::classifier_loss_grad_: CUDA takes fp32, bf16 or fp16 logits, got {}",
                          c10::toString(t)));
}

// logits (N, V), overwritten with dlogits when write_grad; targets (N,) int64. Returns loss (N,) fp32.
at::Tensor classifier_loss_grad_cuda(at::Tensor& logits, const at::Tensor& targets, int64_t ignore_index,
                                     bool write_grad) {
  detail::check_classifier_inputs(logits, targets);
  const int64_t rows = logits.size(0), vocab = logits.size(1);
  GPTBENCH_CHECK(rows <= INT32_MAX && vocab <= INT32_MAX,
                 "gptbench::classifier_loss_grad_: {} x {} logits exceed the kernel's 2^31 - 1 rows or columns", rows,
                 vocab);
  ClassifierParams p;
  p.dtype = classifier_dtype(logits.scalar_type());
  const c10::cuda::CUDAGuard guard(logits.device());
  const at::Tensor t = targets.contiguous();
  at::Tensor loss = at::empty({rows}, logits.options().dtype(at::kFloat));
  if (rows == 0) return loss;
  p.logits = logits.data_ptr();
  p.targets = t.data_ptr<int64_t>();
  p.loss = loss.data_ptr<float>();
  p.rows = rows;
  p.vocab = static_cast<int>(vocab);
  p.row_stride = rows > 1 ? logits.stride(0) : std::max<int64_t>(logits.stride(0), vocab);
  p.ignore_index = ignore_index;
  p.write_grad = write_grad;
  const cudaError_t err = launch_classifier_loss_grad(p, at::cuda::getCurrentCUDAStream());
  GPTBENCH_CHECK(err == cudaSuccess, "gptbench::classifier_loss_grad_: kernel failed to launch: {}",
                 cudaGetErrorString(err));
  return loss;
}

}  // namespace
}  // namespace gptbench::kernels

TORCH_LIBRARY_IMPL(gptbench, CUDA, m) {
  m.impl("classifier_loss_grad_", &gptbench::kernels::classifier_loss_grad_cuda);
}
