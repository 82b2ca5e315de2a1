// model::Projection (projection.h): dense or quantized weight, the dispatch to the fused kernels, and the
// adapter path.
#include "gptbench/model/projection.h"

#include <ATen/TensorOperators.h>  // Tensor operators (+)
#include <ATen/ops/empty.h>        // at::empty
#include <ATen/ops/gelu.h>         // at::gelu
#include <c10/core/GradMode.h>     // c10::NoGradGuard, at::GradMode

#include <utility>  // std::move

#include "gptbench/kernels/quantized_linear.h"  // quantized_linear
#include "gptbench/quant/quantize.h"            // quantize, dequantize
#include "gptbench/util/check.h"                // GPTBENCH_CHECK
#include "gptbench/util/error.h"                // Error

namespace gptbench::model {
namespace {

using kernels::FusedLinearOptions;
using kernels::LinearActivation;

// The quantized weight's tensors moved by `move` (undefined ones stay undefined).
template <typename Move>
void move_quantized(quant::QuantizedWeight& w, Move move) {
  for (at::Tensor* t : {&w.data, &w.scales, &w.zeros, &w.absmax_codes, &w.absmax_scales, &w.absmax_offset}) {
    if (t->defined()) *t = move(*t);
  }
}

// The KV store of FusedLinearOptions done with ATen ops: y's key and value columns of this one-token
// step into kv_cache[0 / 1, b, h, kv_pos, d]. y: (B, 1, N).
void store_step_kv(const FusedLinearOptions& o, const at::Tensor& y) {
  const int64_t b = o.kv_cache.size(1), h = o.kv_cache.size(2), d = o.kv_cache.size(4);
  const at::Tensor kv = y.reshape({b, -1}).narrow(1, o.kv_col0, 2 * h * d).view({b, 2, h, 1, d}).permute({1, 0, 2, 3, 4});
  o.kv_cache.index_copy_(3, o.kv_pos, kv);
}

}  // namespace

ProjectionImpl::ProjectionImpl(int64_t in, int64_t out, bool bias, std::shared_ptr<LinearDispatch> dispatch,
                               const at::TensorOptions& weights)
    : in_(in), out_(out), dispatch_(std::move(dispatch)) {
  GPTBENCH_CHECK(dispatch_ != nullptr, "Projection: no LinearDispatch given");
  weight = register_parameter("weight", at::empty({out, in}, weights));
  if (bias) this->bias = register_parameter("bias", at::empty({out}, weights));
}

at::Tensor ProjectionImpl::run(const at::Tensor& x, const FusedLinearOptions& options) {
  std::string path;
  at::Tensor y = quantized_ ? kernels::quantized_linear(x, *quantized_, options, &path)
                            : kernels::fused_linear(x, weight, options, &path);
  dispatch_->add(path);
  return y;
}

at::Tensor ProjectionImpl::forward(const at::Tensor& x, FusedLinearOptions options) {
  options.bias = bias;
  options.gemv_max_rows = dispatch_->gemv_max_rows;
  return adapter_ ? forward_with_adapter(x, options) : run(x, options);
}

// The fusions around the adapter's add as ATen ops, in fused_linear_reference's order: the input step, the
// projection (+ bias) plus the adapter, activation, KV store, residual.
at::Tensor ProjectionImpl::forward_with_adapter(const at::Tensor& x, const FusedLinearOptions& o) {
  const at::Tensor h = kernels::linear_input(x, o);
  FusedLinearOptions plain;
  plain.bias = o.bias;
  plain.gemv_max_rows = o.gemv_max_rows;
  at::Tensor y = adapted(h, plain);
  if (o.activation == LinearActivation::kGeluTanh) y = at::gelu(y, "tanh");
  if (o.activation == LinearActivation::kGeluErf) y = at::gelu(y, "none");
  if (o.kv_cache.defined()) store_step_kv(o, y);
  return o.residual.defined() ? y + o.residual : y;
}

at::Tensor ProjectionImpl::adapted(const at::Tensor& h, const FusedLinearOptions& plain) {
  const std::optional<LoraUpdate> update = adapter_->low_rank();
  if (!update) {
    const at::Tensor y = run(h, plain);
    // In the base GEMM's dtype: under autocast h is LayerNorm's fp32 and the adapter's GEMMs give bf16/fp16;
    // the activations after this stay in the dtype they have without an adapter.
    return y + adapter_->forward(h).to(y.scalar_type());
  }
  // h cast once (under autocast LayerNorm gives fp32) for the base and the update alike.
  const at::Tensor hc = h.to(linear_compute_dtype(h));
  const bool frozen = !quantized_ && !weight.requires_grad() && !(bias.defined() && bias.requires_grad());
  if (frozen && at::GradMode::is_enabled()) {
    dispatch_->add(kernels::fused_linear_path(hc, weight, plain));  // "aten": autograd never takes the GEMV
    return lora_linear(hc, weight, bias, *update);
  }
  return lora_add(run(hc, plain), hc, *update);
}

const quant::QuantizedWeight& ProjectionImpl::quantized() const {
  GPTBENCH_CHECK(quantized_.has_value(), "Projection: the weight is dense, not quantized");
  return *quantized_;
}

void ProjectionImpl::drop_dense_weight() {
  parameters_.erase("weight");
  weight = at::Tensor();
}

void ProjectionImpl::quantize(const quant::QuantSpec& spec, const std::string& name) {
  GPTBENCH_CHECK(!quantized_, "{}: already quantized", name);
  try {
    quantized_ = quant::quantize(weight.detach(), spec);
  } catch (const Error& e) {
    throw Error(name + ".weight: " + e.what());
  }
  drop_dense_weight();
}

void ProjectionImpl::set_quantized(quant::QuantizedWeight w, const std::string& name) {
  GPTBENCH_CHECK(w.rows == out_ && w.cols == in_, "{}.weight: the quantized weight is ({}, {}), the model expects ({}, {})",
                 name, w.rows, w.cols, out_, in_);
  quant::check_quantized_weight(w, name + ".weight");
  quantized_ = std::move(w);
  drop_dense_weight();
}

at::Tensor ProjectionImpl::effective_weight(std::optional<c10::ScalarType> dtype) const {
  if (quantized_) return quant::dequantize(*quantized_, dtype);
  return dtype ? weight.to(*dtype) : weight;
}

int64_t ProjectionImpl::weight_bytes() const {
  if (quantized_) return quant::weight_bytes(*quantized_).after;
  return static_cast<int64_t>(weight.nbytes());
}

void ProjectionImpl::set_adapter(std::shared_ptr<ProjectionAdapter> adapter, const std::string& name) {
  GPTBENCH_CHECK(adapter != nullptr, "Projection::set_adapter: no adapter given");
  remove_adapter();
  adapter_ = register_module(name, std::move(adapter));
  adapter_name_ = name;
}

void ProjectionImpl::remove_adapter() {
  if (!adapter_) return;
  unregister_module(adapter_name_);
  adapter_.reset();
  adapter_name_.clear();
}

void ProjectionImpl::to(c10::Device device, c10::ScalarType dtype, bool non_blocking) {
  torch::nn::Module::to(device, dtype, non_blocking);
  if (quantized_) move_quantized(*quantized_, [&](const at::Tensor& t) { return t.to(device, t.scalar_type(), non_blocking); });
}

void ProjectionImpl::to(c10::Device device, bool non_blocking) {
  torch::nn::Module::to(device, non_blocking);
  if (quantized_) move_quantized(*quantized_, [&](const at::Tensor& t) { return t.to(device, t.scalar_type(), non_blocking); });
}

Projection projection_copy_of(const at::Tensor& weight, std::shared_ptr<LinearDispatch> dispatch) {
  Projection p(weight.size(1), weight.size(0), /*bias=*/false, std::move(dispatch), weight.options());
  c10::NoGradGuard no_grad;
  p->weight.copy_(weight);
  return p;
}

}  // namespace gptbench::model
