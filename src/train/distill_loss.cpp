// The distillation term of the chunked fused loss (distill_loss.h).
#include "gptbench/train/distill_loss.h"

#include <ATen/TensorOperators.h>  // Tensor operators
#include <ATen/ops/exp.h>          // at::exp
#include <ATen/ops/log_softmax.h>  // at::log_softmax
#include <ATen/ops/mm.h>           // at::mm
#include <ATen/ops/zeros.h>        // at::zeros
#include <c10/core/GradMode.h>     // c10::NoGradGuard

#include <utility>  // std::move

#include "gptbench/run/perplexity.h"    // token_kl
#include "gptbench/train/train_data.h"  // kIgnoreTarget
#include "gptbench/util/check.h"        // GPTBENCH_CHECK

namespace gptbench::train {
namespace {

// The KL term, seen chunk by chunk by fused_lm_loss's pass over the rows.
class DistillTerm : public ChunkTerm {
 public:
  // teacher_hidden (N, C'), teacher_lm_head (Vp, C') padded; targets (N,) int64.
  DistillTerm(at::Tensor teacher_hidden, at::Tensor teacher_lm_head, at::Tensor targets, const DistillOptions& d,
              at::ScalarType accumulation)
      : teacher_hidden_(std::move(teacher_hidden)),
        teacher_lm_head_(std::move(teacher_lm_head)),
        targets_(std::move(targets)),
        d_(d),
        accumulation_(accumulation) {
    kl_sum_ = at::zeros({}, targets_.options().dtype(accumulation));
  }

  void see_logits(int64_t start, const at::Tensor& logits) override {
    const c10::NoGradGuard no_grad;
    const int64_t n = logits.size(0), vocab = logits.size(1);
    const double t = d_.temperature;
    const at::Tensor teacher_logits =
        at::mm(teacher_hidden_.narrow(0, start, n), teacher_lm_head_.t()).narrow(1, 0, vocab);  // (n, V)
    const at::Tensor log_p = at::log_softmax(teacher_logits.to(accumulation_) / t, -1);     // teacher, (n, V)
    const at::Tensor log_q = at::log_softmax(logits.to(accumulation_) / t, -1);             // student, (n, V)
    counted_ = (targets_.narrow(0, start, n) != kIgnoreTarget).to(accumulation_).unsqueeze(1);  // (n, 1)
    kl_sum_ += (run::token_kl(log_p, log_q) * counted_.squeeze(1)).sum();
    // d(T^2 KL)/dz_student = T (q - p) on counted rows; kept for mix_gradient.
    soft_grad_ = (at::exp(log_q) - at::exp(log_p)) * counted_;  // (n, V)
  }

  void mix_gradient(int64_t, at::Tensor& dlogits) override {
    // alpha 0 leaves the cross-entropy's gradient bit for bit: x * 1 + 0 * finite = x.
    at::Tensor mixed = dlogits.to(accumulation_) * (1.0 - d_.alpha) + soft_grad_ * (d_.alpha * d_.temperature);
    dlogits.copy_(mixed);
  }

  at::Tensor combine(const at::Tensor& cross_entropy_sum) override {
    cross_entropy_sum_ = cross_entropy_sum.detach();
    const double t2 = d_.temperature * d_.temperature;
    return cross_entropy_sum * (1.0 - d_.alpha) + kl_sum_ * (d_.alpha * t2);
  }

  at::Tensor kl_sum() const { return kl_sum_; }
  at::Tensor cross_entropy_sum() const { return cross_entropy_sum_; }

 private:
  at::Tensor teacher_hidden_, teacher_lm_head_, targets_;
  DistillOptions d_;
  at::ScalarType accumulation_;
  at::Tensor kl_sum_, cross_entropy_sum_, counted_, soft_grad_;
};

}  // namespace

DistillLoss distill_lm_loss(const at::Tensor& hidden, const at::Tensor& weight, const at::Tensor& teacher_hidden,
                            const at::Tensor& teacher_weight, const at::Tensor& targets,
                            const FusedLmLossOptions& options, const DistillOptions& distill) {
  GPTBENCH_CHECK(distill.temperature > 0, "distillation: temperature must be > 0, got {}", distill.temperature);
  GPTBENCH_CHECK(distill.alpha >= 0 && distill.alpha <= 1, "distillation: alpha must be in [0, 1], got {}",
                 distill.alpha);
  GPTBENCH_CHECK(teacher_hidden.dim() == 3 && teacher_hidden.size(0) == hidden.size(0) &&
                     teacher_hidden.size(1) == hidden.size(1),
                 "distillation: teacher hidden states must be (B, T, C') with (B, T) = ({}, {})", hidden.size(0),
                 hidden.size(1));
  GPTBENCH_CHECK(teacher_weight.dim() == 2 && teacher_weight.size(0) == weight.size(0) &&
                     teacher_weight.size(1) == teacher_hidden.size(2),
                 "distillation: the teacher's lm_head must be (V, C') = ({}, {}), the student's vocabulary",
                 weight.size(0), teacher_hidden.size(2));
  const at::ScalarType accumulation = options.compute_dtype == at::kDouble ? at::kDouble : at::kFloat;
  DistillTerm term(teacher_hidden.detach().flatten(0, 1),
                   padded_lm_head(teacher_weight.detach(), teacher_hidden.scalar_type()), targets.flatten(), distill,
                   accumulation);
  DistillLoss r;
  r.loss = fused_lm_loss(hidden, weight, targets, options, &term);
  r.cross_entropy = term.cross_entropy_sum();
  r.kl = term.kl_sum();
  return r;
}

}  // namespace gptbench::train
