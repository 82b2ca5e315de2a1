// One linear layer of a model: every projection of every family goes through it (GPT-2's c_attn, c_proj,
// c_fc; Llama's qkv_proj, o_proj, gate_up_proj, down_proj, an untied lm_head).
//   out = act(LN?(x) @ W^T + bias [+ adapter(LN?(x))]) + residual   (and the fused KV store)
// W is either dense, the parameter "weight" (out, in), or a quant::QuantizedWeight (then "weight" is no
// longer a parameter); "bias" (out) is a parameter either way. So a dense Projection has the parameter
// names torch::nn::Linear had and checkpoints, weight maps, the trainer and state dicts see no change.
// The forward runs kernels::fused_linear or kernels::quantized_linear and records the path that ran in
// the model's LinearDispatch.
//
// Extension point for additive adapters (LoRA): derive from ProjectionAdapter and set_adapter() it;
// the adapter is a registered submodule (its parameters appear under "<projection>.<name>."), its
// forward reads the projection's input after the LayerNorm prologue and its output is added before the
// activation, the KV store and the residual. With an adapter the fusions run as separate ATen ops. An
// adapter that is a LoRA update says so (low_rank()): the projection and the update then run as one
// autograd node (model/lora_linear.h): lora_linear when the weight is dense and frozen and gradients
// are recorded (training), else the base path (GEMV, quantized kernels) followed by lora_add.
#pragma once

#include <ATen/core/Tensor.h>       // at::Tensor
#include <c10/core/Device.h>        // c10::Device
#include <c10/core/ScalarType.h>    // c10::ScalarType
#include <c10/core/TensorOptions.h> // at::TensorOptions
#include <torch/nn/module.h>        // torch::nn::Module
#include <torch/nn/pimpl.h>         // TORCH_MODULE

#include <cstdint>   // int64_t
#include <memory>    // std::shared_ptr
#include <optional>  // std::optional
#include <string>    // std::string

#include "gptbench/kernels/fused_linear.h"    // FusedLinearOptions
#include "gptbench/model/linear_dispatch.h"   // LinearDispatch
#include "gptbench/model/lora_linear.h"       // LoraUpdate
#include "gptbench/quant/quant_format.h"      // QuantSpec
#include "gptbench/quant/quantized_weight.h"  // QuantizedWeight

namespace gptbench::model {

// An additive adapter on a Projection (e.g. LoRA's scale · B(A(dropout(x)))).
class ProjectionAdapter : public torch::nn::Module {
 public:
  // x: (..., in), the projection's input after its LayerNorm prologue. Returns (..., out), added to
  // x @ W^T + bias in that result's dtype (so under autocast the activations keep the base path's dtype).
  virtual at::Tensor forward(const at::Tensor& x) = 0;
  // The update as LoRA pairs when it is one (the Projection then runs it fused, see the top of this
  // file); std::nullopt: forward()'s result is added.
  virtual std::optional<LoraUpdate> low_rank() const { return std::nullopt; }
};

class ProjectionImpl : public torch::nn::Module {
 public:
  // A dense projection: "weight" (out, in) and, with `bias`, "bias" (out), allocated uninitialised with
  // `weights` (dtype, device; default fp32 CPU): init_weights or a checkpoint fills them.
  ProjectionImpl(int64_t in, int64_t out, bool bias, std::shared_ptr<LinearDispatch> dispatch,
                 const at::TensorOptions& weights = {});

  // x: (..., in) -> (..., out). `options` carries the fusions (LayerNorm prologue, activation, residual,
  // KV store); its bias and gemv_max_rows are replaced by this projection's and the dispatch's.
  at::Tensor forward(const at::Tensor& x, kernels::FusedLinearOptions options = {});

  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }

  bool is_quantized() const { return quantized_.has_value(); }
  const quant::QuantizedWeight& quantized() const;  // gptbench::Error when dense
  // Replaces the dense weight by quant::quantize(weight, spec) (on the weight's device): "weight" leaves
  // the parameters. Throws gptbench::Error naming `name` (e.g. "h.0.mlp.c_fc") and K when the format
  // cannot take this weight (K not a multiple of the group: a group that divides K is suggested).
  void quantize(const quant::QuantSpec& spec, const std::string& name);
  // Takes a weight quantized elsewhere (a quantized checkpoint), checked against this projection's
  // shape; "weight" leaves the parameters. Errors name `name`.
  void set_quantized(quant::QuantizedWeight weight, const std::string& name);
  // The weight the forward multiplies by: the dense one, or the quantized one dequantized to `dtype`
  // (default: the original weight's). (out, in).
  at::Tensor effective_weight(std::optional<c10::ScalarType> dtype = std::nullopt) const;
  // Bytes of the weight as held: dense weight, or every tensor of the quantized one (bias excluded).
  int64_t weight_bytes() const;

  // The adapter extension point (see the top of this file). set_adapter registers it as the submodule
  // `name`; one adapter at a time (a second set_adapter replaces the first).
  void set_adapter(std::shared_ptr<ProjectionAdapter> adapter, const std::string& name = "adapter");
  void remove_adapter();
  const std::shared_ptr<ProjectionAdapter>& adapter() const { return adapter_; }

  // Modules move their parameters; these also move the quantized weight to the device (its dtypes
  // stay: quantized_linear dequantizes to the input's dtype).
  using torch::nn::Module::to;
  void to(c10::Device device, c10::ScalarType dtype, bool non_blocking = false) override;
  void to(c10::Device device, bool non_blocking = false) override;

  at::Tensor weight;  // (out, in); undefined once quantized
  at::Tensor bias;    // (out), or undefined

 private:
  // The projection without adapter: fused_linear or quantized_linear, recording the path.
  at::Tensor run(const at::Tensor& x, const kernels::FusedLinearOptions& options);
  at::Tensor forward_with_adapter(const at::Tensor& x, const kernels::FusedLinearOptions& options);
  // h (..., in), after the LayerNorm prologue -> (..., out): the projection plus its adapter's update.
  at::Tensor adapted(const at::Tensor& h, const kernels::FusedLinearOptions& plain);
  void drop_dense_weight();

  int64_t in_, out_;
  std::shared_ptr<LinearDispatch> dispatch_;
  std::optional<quant::QuantizedWeight> quantized_;
  std::shared_ptr<ProjectionAdapter> adapter_;
  std::string adapter_name_;
};
TORCH_MODULE(Projection);

// A bias-free Projection holding a copy of `weight` (out, in), in its dtype on its device (a tied lm_head
// made a projection of its own: CausalLm::untied_lm_head).
Projection projection_copy_of(const at::Tensor& weight, std::shared_ptr<LinearDispatch> dispatch);

}  // namespace gptbench::model
