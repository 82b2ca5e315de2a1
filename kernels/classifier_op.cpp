// The gptbench::classifier_loss_grad_ op: its schema, its CPU implementation (the ATen reference
// the CUDA kernel is tested against) and the C++ entry points of classifier_op.h. The CUDA
// implementation registers itself from classifier_cuda_op.cpp when nvcc is present.
#include <ATen/TensorOperators.h>           // Tensor operators
#include <ATen/core/dispatch/Dispatcher.h>  // c10::Dispatcher
#include <ATen/ops/_log_softmax.h>          // at::_log_softmax
#include <ATen/ops/where.h>                 // at::where
#include <ATen/ops/zeros_like.h>            // at::zeros_like
#include <torch/library.h>                  // TORCH_LIBRARY_FRAGMENT, TORCH_LIBRARY_IMPL

#include "classifier_inputs.h"                // check_classifier_inputs
#include "gptbench/kernels/classifier_op.h"  // the API defined here
#include "gptbench/util/check.h"              // GPTBENCH_CHECK

namespace gptbench::kernels {
namespace {

// logits (N, V), targets (N,): the semantics spelled out with ATen ops in fp32 (fp64 for fp64).
at::Tensor classifier_loss_grad_cpu(at::Tensor& logits, const at::Tensor& targets, int64_t ignore_index,
                                    bool write_grad) {
  detail::check_classifier_inputs(logits, targets);
  const int64_t vocab = logits.size(1);
  const at::Tensor counted = targets != ignore_index;  // (N,)
  const at::Tensor out_of_range = counted & ((targets < 0) | (targets >= vocab));
  GPTBENCH_CHECK(!out_of_range.any().item<bool>(),
                 "gptbench::classifier_loss_grad_: a target is outside [0, {}) and is not ignore_index {}", vocab,
                 ignore_index);
  const auto compute = logits.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
  const at::Tensor log_probs = at::_log_softmax(logits.to(compute), 1, /*half_to_float=*/false);  // (N, V)
  const at::Tensor index = at::where(counted, targets, at::zeros_like(targets)).unsqueeze(1);     // (N, 1)
  const at::Tensor picked = log_probs.gather(1, index).squeeze(1);                                 // (N,)
  const at::Tensor zero = at::zeros_like(picked);
  const at::Tensor loss = at::where(counted, -picked, zero);
  if (write_grad) {
    at::Tensor grad = log_probs.exp();
    grad.scatter_add_(1, index, -counted.to(compute).unsqueeze(1));
    logits.copy_(at::where(counted.unsqueeze(1), grad, zero.unsqueeze(1)));
  }
  return loss;
}

}  // namespace

at::Tensor classifier_loss_grad_(at::Tensor& logits, const at::Tensor& targets, int64_t ignore_index,
                                 ClassifierGrad grad) {
  static const auto op = c10::Dispatcher::singleton()
                             .findSchemaOrThrow(kClassifierOpName, "")
                             .typed<at::Tensor(at::Tensor&, const at::Tensor&, int64_t, bool)>();
  return op.call(logits, targets, ignore_index, grad == ClassifierGrad::kWrite);
}

bool classifier_kernel_compiled() {
#ifdef GPTBENCH_HAVE_CLASSIFIER_KERNEL
  return true;
#else
  return false;
#endif
}

}  // namespace gptbench::kernels

TORCH_LIBRARY_FRAGMENT(gptbench, m) {
  m.def("classifier_loss_grad_(Tensor(a!) logits, Tensor targets, int ignore_index, bool write_grad) -> Tensor");
}

TORCH_LIBRARY_IMPL(gptbench, CPU, m) {
  m.impl("classifier_loss_grad_", &gptbench::kernels::classifier_loss_grad_cpu);
}
