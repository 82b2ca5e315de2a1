// maskmix: the mixture bias on top of the standard attention.
#include "maskmix_attention.h"

#include <ATen/TensorOperators.h>  // Tensor operators (-, <, *, +)
#include <ATen/ops/full.h>         // at::full
#include <ATen/ops/log.h>          // at::log
#include <ATen/ops/sigmoid.h>      // at::sigmoid
#include <ATen/ops/zeros.h>        // at::zeros
#include <fmt/format.h>            // fmt::format

#include <limits>  // std::numeric_limits

#include "gptbench/util/check.h"  // GPTBENCH_CHECK

namespace gptbench::attention {

MaskMixAttention::MaskMixAttention(const AttentionSpec& spec)
    : windows_(spec.learned.maskmix_windows),
      standard_(spec, Blocking::kAuto, [this](const QueryKeyPositions& qk) { return bias(qk); }) {}

at::Tensor MaskMixAttention::forward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                     const AttentionPositions& positions, const at::Tensor& slopes) {
  GPTBENCH_CHECK(logits_.defined(), "maskmix attention ran before its layer made its parameters");
  return standard_.forward(q, k, v, positions, slopes);
}

std::string MaskMixAttention::last_kernel() const {
  std::string name = "maskmix:standard_w";
  for (size_t i = 0; i < windows_.size(); ++i)
    name += fmt::format("{}{}", i ? "-" : "", windows_[i] == kMaskMixAll ? "all" : std::to_string(windows_[i]));
  return name;
}

std::vector<std::pair<std::string, at::Tensor>> MaskMixAttention::make_layer_parameters(int64_t n_head,
                                                                                    int64_t /*head_dim*/) {
  const auto n = static_cast<int64_t>(windows_.size());
  logits_ = at::full({n_head, n}, kMaskMixClosedLogit, at::kFloat);
  logits_.select(1, n - 1).fill_(kMaskMixOpenLogit);  // windows are increasing: the last is the widest
  return {{"maskmix_logits", logits_}};
}

at::Tensor MaskMixAttention::bias(const QueryKeyPositions& qk) const {
  const at::Tensor weights = at::sigmoid(logits_.to(at::kFloat));              // (H, windows)
  const at::Tensor distance = (qk.qpos - qk.kpos).unsqueeze(1);                  // (B|1, 1, Tq, Tk)
  at::Tensor mixture = at::zeros({1}, weights.options());
  for (size_t i = 0; i < windows_.size(); ++i) {
    const at::Tensor w = weights.select(1, static_cast<int64_t>(i)).view({1, -1, 1, 1});  // (1, H, 1, 1)
    mixture = windows_[i] == kMaskMixAll ? mixture + w : mixture + w * (distance < windows_[i]);
  }
  // The smallest normal float keeps a trained-out mixture finite (log 0 = -inf would leave a query
  // with no key); a hidden key (distance < 0) is masked after the bias.
  return at::log(mixture.clamp_min(std::numeric_limits<float>::min()));
}

}  // namespace gptbench::attention
