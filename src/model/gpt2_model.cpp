// GPT-2 forward pass. Attention math lives behind attention::AttentionImpl.
#include "gptbench/model/gpt2_model.h"

#include <ATen/TensorOperators.h>  // Tensor operators (+, -)
#include <ATen/ops/arange.h>   // at::arange
#include <ATen/ops/tensor.h>   // at::tensor

#include <string>     // std::string
#include <utility>    // std::move

#include "gptbench/attention/alibi.h"      // alibi_slopes
#include "gptbench/kernels/fused_linear.h"  // FusedLinearOptions
#include "gptbench/model/uninitialised_embedding.h"  // uninitialised_embedding
#include "gptbench/util/check.h"            // GPTBENCH_CHECK

namespace gptbench::model {

using attention::AttentionPositions;
using kernels::FusedLinearOptions;

namespace {

// Options of a projection that layer-normalises its input first.
FusedLinearOptions after_layer_norm(const torch::nn::LayerNorm& ln) {
  FusedLinearOptions o;
  o.input = kernels::LinearInput::kLayerNorm;
  o.ln_weight = ln->weight;
  o.ln_bias = ln->bias;
  o.ln_eps = ln->options.eps();
  return o;
}

}  // namespace

SelfAttentionImpl::SelfAttentionImpl(const Gpt2Config& config, std::shared_ptr<attention::AttentionImpl> kernel,
                                     const std::shared_ptr<LinearDispatch>& paths, const at::TensorOptions& weights)
    : n_head_(config.n_head), head_dim_(config.head_dim()), kernel_(std::move(kernel)) {
  const int64_t c = config.n_embd;
  c_attn = register_module("c_attn", Projection(c, 3 * c, /*bias=*/true, paths, weights));
  c_proj = register_module("c_proj", Projection(c, c, /*bias=*/true, paths, weights));
  for (auto& [name, tensor] : kernel_->make_layer_parameters(n_head_, head_dim_)) register_parameter(name, tensor);
}

at::Tensor SelfAttentionImpl::forward(const at::Tensor& x, const torch::nn::LayerNorm& ln,
                                      const AttentionPositions& positions, KvCache* cache, int64_t layer,
                                      const at::Tensor& slopes) {
  const int64_t b = x.size(0), t = x.size(1), c = x.size(2);
  FusedLinearOptions qkv_options = after_layer_norm(ln);
  at::Tensor kv_buffer;  // (2, B, H, capacity, D): decode at a device position stores into it directly
  if (cache != nullptr && positions.q_pos.defined()) {
    kv_buffer = cache->device_position_buffer(layer);
    GPTBENCH_CHECK(kv_buffer.defined(), "this KV cache takes host positions only: decode it without CUDA graphs");
    qkv_options.kv_cache = kv_buffer;
    qkv_options.kv_pos = positions.q_pos;
    qkv_options.kv_col0 = c;
  }
  // qkv: (B, T, 3C) -> three (B, H, T, D) views
  auto qkv = c_attn->forward(x, std::move(qkv_options))
                 .view({b, t, 3, n_head_, head_dim_})
                 .permute({2, 0, 3, 1, 4});
  at::Tensor q = qkv[0], k = qkv[1], v = qkv[2];
  at::Tensor y;  // (B, H, T, D)
  if (kv_buffer.defined()) {
    y = kernel_->forward(q, kv_buffer[0], kv_buffer[1], positions, slopes);
  } else if (attention::RecurrentState* state = cache != nullptr ? cache->recurrent_state(layer) : nullptr) {
    y = kernel_->forward_recurrent(q, k, v, positions, *state);
  } else if (cache != nullptr) {
    const CacheView view = cache->update(layer, positions.q_pos0, k, v);
    AttentionPositions with_slots = positions;
    with_slots.key_pos = view.key_pos;
    y = kernel_->forward(q, view.k, view.v, with_slots, slopes);
  } else {
    y = kernel_->forward(q, k, v, positions, slopes);
  }
  FusedLinearOptions proj;
  proj.residual = x;
  return c_proj->forward(y.transpose(1, 2).reshape({b, t, c}), std::move(proj));
}

MlpImpl::MlpImpl(const Gpt2Config& config, const std::shared_ptr<LinearDispatch>& paths,
                 const at::TensorOptions& weights)
    : activation_(config.activation) {
  c_fc = register_module("c_fc", Projection(config.n_embd, config.mlp_width(), /*bias=*/true, paths, weights));
  c_proj = register_module("c_proj", Projection(config.mlp_width(), config.n_embd, /*bias=*/true, paths, weights));
}

at::Tensor MlpImpl::forward(const at::Tensor& x, const torch::nn::LayerNorm& ln) {
  FusedLinearOptions fc = after_layer_norm(ln);
  fc.activation = activation_ == Activation::kGeluTanh ? kernels::LinearActivation::kGeluTanh
                                                       : kernels::LinearActivation::kGeluErf;
  FusedLinearOptions proj;
  proj.residual = x;
  return c_proj->forward(c_fc->forward(x, std::move(fc)), std::move(proj));
}

BlockImpl::BlockImpl(const Gpt2Config& config, std::shared_ptr<attention::AttentionImpl> kernel,
                     const std::shared_ptr<LinearDispatch>& paths, const at::TensorOptions& weights) {
  const auto ln = torch::nn::LayerNormOptions({config.n_embd}).eps(config.layer_norm_epsilon);
  ln_1 = register_module("ln_1", torch::nn::LayerNorm(ln));
  attn = register_module("attn", SelfAttention(config, std::move(kernel), paths, weights));
  ln_2 = register_module("ln_2", torch::nn::LayerNorm(ln));
  mlp = register_module("mlp", Mlp(config, paths, weights));
}

at::Tensor BlockImpl::forward(const at::Tensor& x, const AttentionPositions& positions, KvCache* cache,
                              int64_t layer, const at::Tensor& slopes) {
  return mlp->forward(attn->forward(x, ln_1, positions, cache, layer, slopes), ln_2);
}

Gpt2ModelImpl::Gpt2ModelImpl(const Gpt2Config& config, const attention::AttentionSpec& spec,
                             const at::TensorOptions& weights)
    : Gpt2ModelImpl(config, spec, attention::make_attention(spec), weights) {}

Gpt2ModelImpl::Gpt2ModelImpl(const Gpt2Config& config, const attention::AttentionSpec& spec,
                             std::shared_ptr<attention::AttentionImpl> kernel, const at::TensorOptions& weights)
    : config_(config), shape_(config.shape()), spec_(spec), kernel_(std::move(kernel)) {
  wte = register_module("wte", uninitialised_embedding(config.vocab_size, config.n_embd, weights));
  wpe = register_module("wpe", uninitialised_embedding(config.n_positions, config.n_embd, weights));
  h = register_module("h", torch::nn::ModuleList());
  for (int64_t l = 0; l < config.n_layer; ++l) {
    // A variant with learned per-layer parameters (maskmix) gets one implementation per layer.
    std::shared_ptr<attention::AttentionImpl> layer_kernel = kernel_;
    if (l > 0 && spec.learned.per_layer()) layer_kernel = attention::make_attention(spec);
    h->push_back(Block(config, std::move(layer_kernel), linear_, weights));
  }
  ln_f = register_module("ln_f", torch::nn::LayerNorm(
                                      torch::nn::LayerNormOptions({config.n_embd}).eps(config.layer_norm_epsilon)));
  if (spec.alibi()) {
    std::vector<double> slopes = attention::alibi_slopes(config.n_head);
    std::vector<float> slopes_f(slopes.begin(), slopes.end());
    alibi_slopes_ = register_buffer("alibi_slopes", at::tensor(slopes_f));
  }
}

at::Tensor Gpt2ModelImpl::forward(const at::Tensor& ids, const AttentionPositions& positions, KvCache* cache,
                                  LogitsMode mode) {
  const int64_t t = ids.size(1);
  linear_->clear();
  at::Tensor x = wte->forward(ids);  // (B, T, C)
  if (spec_.uses_learned_positions()) {
    // Positions count from each row's first real token; padding positions clamp to 0 (masked anyway).
    at::Tensor steps = positions.q_pos.defined() ? positions.q_pos  // (1,): one token at a device position
                                                 : at::arange(positions.q_pos0, positions.q_pos0 + t, ids.options());
    at::Tensor pos_ids = (steps.unsqueeze(0) - positions.key_start.unsqueeze(1)).clamp_min(0);
    x = x + wpe->forward(pos_ids);
  }
  for (int64_t l = 0; l < config_.n_layer; ++l) {
    x = h[l]->as<BlockImpl>()->forward(x, positions, cache, l, alibi_slopes_);
  }
  if (mode == LogitsMode::kLastPosition) x = x.narrow(1, t - 1, 1);
  if (mode == LogitsMode::kHidden) return ln_f->forward(x);  // (B, T, C)
  if (lm_head) return lm_head->forward(x, after_layer_norm(ln_f));  // (B, T', V)
  return project(*linear_, x, wte->weight, after_layer_norm(ln_f));  // tied lm_head: (B, T', V)
}

ProjectionImpl& Gpt2ModelImpl::untied_lm_head() {
  if (!lm_head) lm_head = register_module("lm_head", projection_copy_of(wte->weight, linear_));
  return *lm_head;
}

std::vector<std::string> Gpt2ModelImpl::unused_parameters() const {
  if (spec_.uses_learned_positions()) return {};
  return {"wpe.weight"};
}

}  // namespace gptbench::model
