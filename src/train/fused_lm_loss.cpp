// Chunked lm_head + softmax cross-entropy with the gradients computed in the forward (fused_lm_loss.h).
#include "gptbench/train/fused_lm_loss.h"

#include <ATen/TensorOperators.h>                 // Tensor operators
#include <ATen/ops/addmm.h>                       // at::addmm_out (out_dtype overload)
#include <ATen/ops/empty.h>                       // at::empty
#include <ATen/ops/mm.h>                          // at::mm, at::mm_out
#include <ATen/ops/zeros.h>                       // at::zeros
#include <c10/core/DispatchKeySet.h>              // c10::autocast_dispatch_keyset
#include <c10/core/GradMode.h>                    // c10::GradMode, c10::NoGradGuard
#include <c10/core/impl/LocalDispatchKeySet.h>    // c10::impl::ExcludeDispatchKeyGuard
#include <fmt/format.h>                           // fmt::format
#include <torch/csrc/autograd/custom_function.h>  // torch::autograd::Function, AutogradContext

#include <algorithm>  // std::min

#include "gptbench/kernels/classifier_op.h"  // classifier_loss_grad_, classifier_kernel_compiled
#include "gptbench/train/train_data.h"       // kIgnoreTarget
#include "gptbench/util/check.h"             // GPTBENCH_CHECK

namespace gptbench::train {
namespace {

// The vocabulary is padded to a multiple of this (run_chunks): every GEMM dimension is then aligned,
// and every row of the logits scratch starts 16-byte aligned for the classifier kernel's vectors.
constexpr int64_t kVocabAlign = 64;

struct LossAndGrads {
  at::Tensor loss;         // () in the accumulation dtype
  at::Tensor grad_hidden;  // (B, T, C) in hidden's dtype, or undefined
  at::Tensor grad_weight;  // (V, C) in weight's dtype, or undefined
};

at::ScalarType accumulation_dtype(at::ScalarType compute) { return compute == at::kDouble ? at::kDouble : at::kFloat; }

// out = a @ b in out's dtype (fp32, or fp64 with fp64 inputs). bf16/fp16 inputs give an fp32 result
// without a rounding to the input dtype in between: cuBLAS through mm.dtype_out on CUDA; the CPU has
// no such kernel, so the same products of upcast inputs.
void mm_into(at::Tensor out, const at::Tensor& a, const at::Tensor& b) {
  if (a.scalar_type() == out.scalar_type()) {
    at::mm_out(out, a, b);
  } else if (out.is_cuda()) {
    at::mm_out(out, a, b, out.scalar_type());
  } else {
    at::mm_out(out, a.to(out.scalar_type()), b.to(out.scalar_type()));
  }
}

// acc += a @ b, with mm_into's dtype rule (addmm.dtype_out takes an fp32 self with bf16/fp16 matrices).
void addmm_into(at::Tensor& acc, const at::Tensor& a, const at::Tensor& b) {
  if (a.scalar_type() == acc.scalar_type()) {
    acc.addmm_(a, b);
  } else if (acc.is_cuda()) {
    at::addmm_out(acc, acc, a, b, acc.scalar_type());
  } else {
    acc.addmm_(a.to(acc.scalar_type()), b.to(acc.scalar_type()));
  }
}

// hidden (B, T, C), weight (V, C), targets (B, T). Loss always; the gradients that are asked for;
// with a term, of the combined loss.
LossAndGrads run_chunks(const at::Tensor& hidden, const at::Tensor& weight, const at::Tensor& targets,
                        const FusedLmLossOptions& o, bool want_grad_hidden, bool want_grad_weight, ChunkTerm* term) {
  // The dtypes below are chosen explicitly; autocast must not recast the fp32 accumulators.
  const c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
  const int64_t channels = hidden.size(2), vocab = weight.size(0);
  const at::Tensor h = hidden.reshape({-1, channels}).to(o.compute_dtype);  // (N, C)
  const at::Tensor t = targets.reshape({-1});                               // (N,)
  const int64_t rows = h.size(0);
  const auto acc = hidden.options().dtype(accumulation_dtype(o.compute_dtype));
  // The padded logits are 0, their dlogits never reach grad_hidden (zero weight rows) and their
  // grad_weight rows are cut off at the end.
  const at::Tensor w = padded_lm_head(weight, o.compute_dtype);  // (Vp, C)
  const int64_t padded = w.size(0);

  LossAndGrads r;
  r.loss = at::zeros({}, acc);
  at::Tensor grad_h = want_grad_hidden ? at::empty({rows, channels}, acc) : at::Tensor();   // (N, C)
  at::Tensor grad_w = want_grad_weight ? at::zeros({padded, channels}, acc) : at::Tensor();  // (Vp, C)
  const auto mode = want_grad_hidden || want_grad_weight ? kernels::ClassifierGrad::kWrite
                                                         : kernels::ClassifierGrad::kSkip;
  const int64_t chunk = std::min(o.chunk_rows, rows);
  const at::Tensor scratch = at::empty({chunk, padded}, h.options());  // the only logits ever held
  for (int64_t start = 0; start < rows; start += chunk) {
    const int64_t n = std::min(chunk, rows - start);
    const at::Tensor hc = h.narrow(0, start, n);          // (n, C)
    at::Tensor all = scratch.narrow(0, 0, n);             // (n, Vp)
    at::mm_out(all, hc, w.t());
    at::Tensor logits = all.narrow(1, 0, vocab);        // (n, V), row stride Vp
    if (term != nullptr) term->see_logits(start, logits);
    r.loss += kernels::classifier_loss_grad_(logits, t.narrow(0, start, n), kIgnoreTarget, mode).sum();
    // `all` now holds dlogits (n, V) in the compute dtype, then the padded columns' logits (0).
    if (term != nullptr && mode == kernels::ClassifierGrad::kWrite) term->mix_gradient(start, logits);
    if (want_grad_hidden) mm_into(grad_h.narrow(0, start, n), all, w);
    if (want_grad_weight) addmm_into(grad_w, all.t(), hc);
  }
  if (term != nullptr) r.loss = term->combine(r.loss);
  if (want_grad_hidden) r.grad_hidden = grad_h.view(hidden.sizes()).to(hidden.scalar_type());
  if (want_grad_weight) r.grad_weight = grad_w.narrow(0, 0, vocab).to(weight.scalar_type());
  return r;
}

class FusedLmLoss : public torch::autograd::Function<FusedLmLoss> {
 public:
  // hidden (B, T, C), weight (V, C), targets (B, T) int64; compute_dtype is a c10::ScalarType.
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& hidden, const at::Tensor& weight,
                            const at::Tensor& targets, int64_t compute_dtype, int64_t chunk_rows, ChunkTerm* term) {
    FusedLmLossOptions options;
    options.compute_dtype = static_cast<c10::ScalarType>(compute_dtype);
    options.chunk_rows = chunk_rows;
    LossAndGrads r = run_chunks(hidden, weight, targets, options, hidden.requires_grad(), weight.requires_grad(),
                                term);
    // The gradients of the sum, kept until backward scales them (they are not inputs or outputs,
    // so they go in saved_data rather than save_for_backward).
    if (r.grad_hidden.defined()) ctx->saved_data["grad_hidden"] = r.grad_hidden;
    if (r.grad_weight.defined()) ctx->saved_data["grad_weight"] = r.grad_weight;
    return r.loss;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    const at::Tensor& g = grad_outputs[0];  // () in the loss dtype
    auto scaled = [&](const char* key) {
      const auto it = ctx->saved_data.find(key);
      return it == ctx->saved_data.end() ? at::Tensor() : it->second.toTensor() * g;
    };
    // One gradient per forward argument: hidden, weight, then none for the rest.
    return {scaled("grad_hidden"), scaled("grad_weight"), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

void check_arguments(const at::Tensor& hidden, const at::Tensor& weight, const at::Tensor& targets,
                     const FusedLmLossOptions& o) {
  GPTBENCH_CHECK(hidden.dim() == 3, "fused lm loss: hidden must be (B, T, C), got {} dims", hidden.dim());
  GPTBENCH_CHECK(weight.dim() == 2 && weight.size(1) == hidden.size(2),
                 "fused lm loss: weight must be (V, C) with C = {}, got {} dims of last size {}", hidden.size(2),
                 weight.dim(), weight.dim() > 0 ? weight.size(-1) : 0);
  GPTBENCH_CHECK(targets.dim() == 2 && targets.size(0) == hidden.size(0) && targets.size(1) == hidden.size(1),
                 "fused lm loss: targets must be (B, T) = ({}, {})", hidden.size(0), hidden.size(1));
  GPTBENCH_CHECK(targets.scalar_type() == at::kLong, "fused lm loss: targets must be int64, got {}",
                 c10::toString(targets.scalar_type()));
  GPTBENCH_CHECK(weight.device() == hidden.device() && targets.device() == hidden.device(),
                 "fused lm loss: hidden, weight and targets must be on one device ({}, {}, {})", hidden.device().str(),
                 weight.device().str(), targets.device().str());
  const at::ScalarType c = o.compute_dtype;
  GPTBENCH_CHECK(c == at::kFloat || c == at::kDouble || c == at::kBFloat16 || c == at::kHalf,
                 "fused lm loss: compute dtype must be fp32, fp64, bf16 or fp16, got {}", c10::toString(c));
  GPTBENCH_CHECK(o.chunk_rows >= 1, "fused lm loss: chunk rows must be at least 1, got {}", o.chunk_rows);
  GPTBENCH_CHECK(!hidden.is_cuda() || kernels::classifier_kernel_compiled(),
                 "fused lm loss: this build has no CUDA classifier kernel (configured without nvcc)");
}

}  // namespace

at::Tensor padded_lm_head(const at::Tensor& weight, c10::ScalarType dtype) {
  // The vocabulary padded to kVocabAlign with zero weight rows, so that cuBLAS takes its aligned kernels
  // (with V = 50257 it ran alignment-1 sm75 kernels: sdpa B 16 took 67.1 ms per step, 47.2 ms padded;
  // bench/results/train_fused_loss_h100_2026-11-23.md).
  const int64_t vocab = weight.size(0), channels = weight.size(1);
  const int64_t padded = (vocab + kVocabAlign - 1) / kVocabAlign * kVocabAlign;
  at::Tensor w = at::empty({padded, channels}, weight.options().dtype(dtype));  // (Vp, C)
  w.narrow(0, 0, vocab).copy_(weight);
  w.narrow(0, vocab, padded - vocab).zero_();
  return w;
}

at::Tensor fused_lm_loss(const at::Tensor& hidden, const at::Tensor& weight, const at::Tensor& targets,
                         const FusedLmLossOptions& options, ChunkTerm* term) {
  check_arguments(hidden, weight, targets, options);
  if (!c10::GradMode::is_enabled() || !(hidden.requires_grad() || weight.requires_grad())) {
    const c10::NoGradGuard no_grad;
    return run_chunks(hidden, weight, targets, options, false, false, term).loss;
  }
  return FusedLmLoss::apply(hidden, weight, targets, static_cast<int64_t>(options.compute_dtype), options.chunk_rows,
                            term);
}

std::string fused_lm_loss_name(const FusedLmLossOptions& options, c10::Device device) {
  return fmt::format("fused-chunked({} rows):{}", options.chunk_rows, device.is_cuda() ? "cuda" : "cpu-reference-ops");
}

}  // namespace gptbench::train
