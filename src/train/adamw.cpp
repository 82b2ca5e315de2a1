// AdamW with PyTorch's fused kernel, global-norm clipping, fp16 loss scaling (adamw.h).
#include "gptbench/train/adamw.h"

#include <ATen/TensorOperators.h>                                // Scalar / Tensor, Tensor + Scalar
#include <ATen/ops/_amp_foreach_non_finite_check_and_unscale.h>  // at::_amp_foreach_non_finite_check_and_unscale_
#include <ATen/ops/_amp_update_scale.h>                          // at::_amp_update_scale_
#include <ATen/ops/_foreach_add.h>                               // at::_foreach_add_
#include <ATen/ops/_foreach_mul.h>                               // at::_foreach_mul_
#include <ATen/ops/_foreach_norm.h>                              // at::_foreach_norm
#include <ATen/ops/_foreach_sub.h>                               // at::_foreach_sub_
#include <ATen/ops/_fused_adamw.h>                               // at::_fused_adamw_
#include <ATen/ops/clamp.h>                                      // at::clamp_max
#include <ATen/ops/full.h>                                       // at::full
#include <ATen/ops/linalg_vector_norm.h>                         // at::linalg_vector_norm
#include <ATen/ops/stack.h>                                      // at::stack
#include <ATen/ops/zeros.h>                                      // at::zeros
#include <ATen/ops/zeros_like.h>                                 // at::zeros_like
#include <c10/core/GradMode.h>                                   // c10::NoGradGuard
#include <fmt/format.h>                                          // fmt::format

#include <string_view>  // std::string_view

#include "gptbench/util/check.h"  // GPTBENCH_CHECK

namespace gptbench::train {
namespace {

// Weight decay pulls toward 0: right for weight matrices, wrong for biases, norms and a variant's mixture
// logits (maskmix's θ at 0 would mean "every window half on", not "no preference").
bool decays(const NamedParameter& p) {
  const std::string_view suffix = "maskmix_logits";
  const std::string_view name = p.name;
  const bool mixture_logits = name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
  return p.param.dim() >= 2 && !mixture_logits;
}

}  // namespace

AdamW::AdamW(std::vector<NamedParameter> params, AdamWOptions options)
    : params_(std::move(params)), options_(options) {
  Group decay{{}, options.weight_decay}, no_decay{{}, 0.0};
  for (size_t i = 0; i < params_.size(); ++i) {
    const at::Tensor& p = params_[i].param;
    exp_avg_.push_back(at::zeros_like(p, at::MemoryFormat::Preserve));
    exp_avg_sq_.push_back(at::zeros_like(p, at::MemoryFormat::Preserve));
    steps_.push_back(at::zeros({}, p.options().dtype(at::kFloat)));
    (decays(params_[i]) ? decay : no_decay).members.push_back(i);
  }
  groups_ = {decay, no_decay};
}

std::vector<at::Tensor> AdamW::grads() const {
  std::vector<at::Tensor> g;
  for (const auto& p : params_) {
    GPTBENCH_CHECK(p.param.grad().defined(), "parameter {} received no gradient", p.name);
    g.push_back(p.param.grad());
  }
  return g;
}

at::Tensor AdamW::clip_grad_norm(double max_norm) {
  c10::NoGradGuard no_grad;
  const std::vector<at::Tensor> g = grads();
  const std::vector<at::Tensor> norms = at::_foreach_norm(g, 2);
  const at::Tensor total = at::linalg_vector_norm(at::stack(norms), 2);  // 0-dim
  if (max_norm > 0) {
    // coef = min(1, max_norm / (norm + 1e-6)) as a device tensor: no host sync (torch's clip_grad_norm_ rule).
    const at::Tensor coef = at::clamp_max(max_norm / (total + 1e-6), 1.0);
    at::_foreach_mul_(g, coef);
  }
  return total;
}

template <typename Lr>
void AdamW::update(const Lr& lr, const at::Tensor& found_inf) {
  c10::NoGradGuard no_grad;
  const std::vector<at::Tensor> all_grads = grads();
  for (const Group& group : groups_) {
    if (group.members.empty()) continue;
    std::vector<at::Tensor> p, g, m, v, s;
    for (size_t i : group.members) {
      p.push_back(params_[i].param);
      g.push_back(all_grads[i]);
      m.push_back(exp_avg_[i]);
      v.push_back(exp_avg_sq_[i]);
      s.push_back(steps_[i]);
    }
    at::_foreach_add_(s, 1.0);
    std::optional<at::Tensor> inf;
    if (found_inf.defined()) inf = found_inf;
    at::_fused_adamw_(p, g, m, v, {}, s, lr, options_.beta1, options_.beta2, group.weight_decay, options_.eps,
                      /*amsgrad=*/false, /*maximize=*/false, /*grad_scale=*/std::nullopt, inf);
    // A skipped step (inf/nan gradients under fp16) does not count, as in torch.optim's fused path.
    // The list overload, as torch.optim does: a lone Tensor would convert to a one-element TensorList.
    if (found_inf.defined()) at::_foreach_sub_(s, std::vector<at::Tensor>(s.size(), found_inf));
  }
}

void AdamW::step(double lr, const at::Tensor& found_inf) { update(lr, found_inf); }

void AdamW::step(const at::Tensor& lr, const at::Tensor& found_inf) { update(lr, found_inf); }

void AdamW::zero_grad() {
  for (auto& p : params_) p.param.mutable_grad() = at::Tensor();
}

std::map<std::string, at::Tensor> AdamW::state() const {
  std::map<std::string, at::Tensor> out;
  for (size_t i = 0; i < params_.size(); ++i) {
    out["exp_avg." + params_[i].name] = exp_avg_[i];
    out["exp_avg_sq." + params_[i].name] = exp_avg_sq_[i];
    out["step." + params_[i].name] = steps_[i].reshape({1});
  }
  return out;
}

void AdamW::load_state(const std::map<std::string, at::Tensor>& state, const std::string& source) {
  c10::NoGradGuard no_grad;
  auto take = [&](const std::string& key, at::Tensor& into) {
    auto it = state.find(key);
    GPTBENCH_CHECK(it != state.end(), "{}: optimizer tensor {} is missing", source, key);
    GPTBENCH_CHECK(it->second.numel() == into.numel(), "{}: optimizer tensor {} has {} elements, expected {}", source, key,
                   it->second.numel(), into.numel());
    into.copy_(it->second.reshape(into.sizes()));
  };
  for (size_t i = 0; i < params_.size(); ++i) {
    take("exp_avg." + params_[i].name, exp_avg_[i]);
    take("exp_avg_sq." + params_[i].name, exp_avg_sq_[i]);
    take("step." + params_[i].name, steps_[i]);
  }
}

int64_t AdamW::parameter_count() const {
  int64_t n = 0;
  for (const auto& p : params_) n += p.param.numel();
  return n;
}

int64_t AdamW::decayed_parameter_count() const {
  int64_t n = 0;
  for (size_t i : groups_[0].members) n += params_[i].param.numel();
  return n;
}

LossScaler::LossScaler(c10::Device device, bool enabled) : enabled_(enabled) {
  const auto f32 = at::TensorOptions().dtype(at::kFloat).device(device);
  // 0-dim, as torch.amp.GradScaler keeps them (the fused optimizer takes found_inf so).
  scale_ = at::full({}, enabled ? 65536.0 : 1.0, f32);
  growth_tracker_ = at::zeros({}, f32.dtype(at::kInt));
}

at::Tensor LossScaler::unscale(const std::vector<at::Tensor>& grads) {
  c10::NoGradGuard no_grad;
  at::Tensor found_inf = at::zeros({}, scale_.options());
  at::_amp_foreach_non_finite_check_and_unscale_(grads, found_inf, scale_.reciprocal());
  return found_inf;
}

void LossScaler::update(const at::Tensor& found_inf) {
  at::_amp_update_scale_(scale_, growth_tracker_, found_inf, 2.0, 0.5, 2000);
}

void LossScaler::load(const at::Tensor& scale, const at::Tensor& growth_tracker) {
  scale_.copy_(scale.reshape({}));
  growth_tracker_.copy_(growth_tracker.reshape({}));
}

}  // namespace gptbench::train
