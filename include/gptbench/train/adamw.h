// AdamW (Loshchilov & Hutter) over fp32 master weights with PyTorch's fused kernel
// (at::_fused_adamw_, CPU and CUDA), in two groups as nanoGPT does: weight decay on every
// tensor of two or more dimensions (Linear weights and the embeddings, the tied lm_head
// included), none on biases and LayerNorm parameters. Parameters that take no part in the
// forward (wpe under ALiBi) are left out. Optional dynamic loss scaling for fp16.
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor
#include <c10/core/Device.h>   // c10::Device

#include <map>     // std::map
#include <string>  // std::string
#include <vector>  // std::vector

namespace gptbench::train {

struct AdamWOptions {
  double beta1 = 0.9, beta2 = 0.95, eps = 1e-8, weight_decay = 0.1;
};

struct NamedParameter {
  std::string name;
  at::Tensor param;  // requires_grad, fp32
};

class AdamW {
 public:
  AdamW(std::vector<NamedParameter> params, AdamWOptions options);

  // Clips the global gradient norm to max_norm (0: no clipping) without a host sync and
  // returns the norm before clipping as a 0-dim device tensor.
  at::Tensor clip_grad_norm(double max_norm);
  // One update at learning rate lr. found_inf (fp16 loss scaling): a 0-dim tensor, 1 to skip the step.
  void step(double lr, const at::Tensor& found_inf = {});
  // The same with lr a 0-dim fp32 tensor on the parameters' device, read when the update runs (a CUDA
  // graph captures the read, so each replay uses the value written before it: --cuda-graph).
  void step(const at::Tensor& lr, const at::Tensor& found_inf = {});
  void zero_grad();

  std::vector<at::Tensor> grads() const;
  // Optimizer state as named tensors ("exp_avg.<param>", "exp_avg_sq.<param>", "step.<param>").
  std::map<std::string, at::Tensor> state() const;
  // Restores state(); throws Error naming `source` on a missing or mis-shaped tensor.
  void load_state(const std::map<std::string, at::Tensor>& state, const std::string& source);
  int64_t parameter_count() const;
  int64_t decayed_parameter_count() const;

 private:
  template <typename Lr>
  void update(const Lr& lr, const at::Tensor& found_inf);

  struct Group {
    std::vector<size_t> members;  // indices into params_
    double weight_decay = 0;
  };
  std::vector<NamedParameter> params_;
  std::vector<at::Tensor> exp_avg_, exp_avg_sq_, steps_;
  std::vector<Group> groups_;
  AdamWOptions options_;
};

// fp16 dynamic loss scaling (PyTorch GradScaler's rule: x2 after 2000 clean steps, x0.5 on inf/nan).
class LossScaler {
 public:
  LossScaler(c10::Device device, bool enabled);
  bool enabled() const { return enabled_; }
  at::Tensor scale() const { return scale_; }  // 0-dim fp32
  // Unscales the gradients in place and returns found_inf, 0-dim (1 when any is inf/nan).
  at::Tensor unscale(const std::vector<at::Tensor>& grads);
  void update(const at::Tensor& found_inf);
  at::Tensor growth_tracker() const { return growth_tracker_; }
  void load(const at::Tensor& scale, const at::Tensor& growth_tracker);

 private:
  bool enabled_;
  at::Tensor scale_, growth_tracker_;  // 0-dim fp32, 0-dim int32
};

}  // namespace gptbench::train
