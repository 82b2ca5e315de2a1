// Knowledge distillation (Hinton et al. 2015) inside the chunked fused loss (fused_lm_loss.h): per
// counted target position (rows whose target is not kIgnoreTarget),
// (KL per row: run::token_kl, the per-token KL of `gptbench run --kl-against`)
//   loss = alpha * T^2 * KL(softmax(z_teacher / T) || softmax(z_student / T)) + (1 - alpha) * CE(z_student)
// summed over the rows. The (B, T, V) logits are never held: each chunk of rows forms the student's
// logits from its hidden states and the teacher's from the teacher's hidden states, chunk by chunk.
// The student's gradient is computed in the same pass:
//   d/dz_student = alpha * T * (softmax(z_s / T) - softmax(z_t / T)) + (1 - alpha) * (softmax(z_s) - onehot)
// The T^2 factor keeps the soft term's gradient scale independent of T (Hinton et al., section 2).
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor

#include "gptbench/train/fused_lm_loss.h"  // FusedLmLossOptions

namespace gptbench::train {

struct DistillOptions {
  double temperature = 2.0;  // T > 0
  double alpha = 0.5;        // weight of the KL term, in [0, 1]
};

struct DistillLoss {
  at::Tensor loss;           // () the combined sum; differentiable as fused_lm_loss is
  at::Tensor cross_entropy;  // () sum of the student's next-token NLLs (detached)
  at::Tensor kl;             // () sum of KL(teacher || student) at temperature T, without T^2 (detached)
};

// hidden (B, T, C), weight (V, C): the student, as fused_lm_loss takes them. teacher_hidden (B, T, C')
// and teacher_weight (V, C'): the teacher's final hidden states and lm_head, any dtype, no gradient
// (the teacher's logits are formed in its own dtype, then fp32). targets (B, T) int64.
DistillLoss distill_lm_loss(const at::Tensor& hidden, const at::Tensor& weight, const at::Tensor& teacher_hidden,
                            const at::Tensor& teacher_weight, const at::Tensor& targets,
                            const FusedLmLossOptions& options, const DistillOptions& distill);

}  // namespace gptbench::train
