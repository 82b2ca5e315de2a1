// GPT-2 forward pass. Attention math lives behind attention::AttentionImpl.
#include "gptbench/model/gpt2_model.h"

#include <ATen/TensorOperators.h>  // Tensor operators (+, -)
#include <ATen/ops/arange.h>   // at::arange
#include <ATen/ops/_addmm_activation.h>  // at::_addmm_activation
#include <ATen/ops/gelu.h>     // at::gelu
#include <c10/core/GradMode.h>  // at::GradMode
#include <ATen/ops/linear.h>   // at::linear
#include <ATen/ops/tensor.h>   // at::tensor

#include <string>  // std::to_string

#include "gptbench/attention/alibi.h"  // alibi_slopes

namespace gptbench::model {

using attention::AttentionPositions;

SelfAttentionImpl::SelfAttentionImpl(const Gpt2Config& config, std::shared_ptr<attention::AttentionImpl> kernel)
    : n_head_(config.n_head), head_dim_(config.head_dim()), kernel_(std::move(kernel)) {
  c_attn = register_module("c_attn", torch::nn::Linear(config.n_embd, 3 * config.n_embd));
  c_proj = register_module("c_proj", torch::nn::Linear(config.n_embd, config.n_embd));
}

at::Tensor SelfAttentionImpl::forward(const at::Tensor& x, const AttentionPositions& positions, KvCache* cache,
                                      int64_t layer, const at::Tensor& slopes) {
  const int64_t b = x.size(0), t = x.size(1), c = x.size(2);
  // qkv: (B, T, 3C) -> three (B, H, T, D) views
  auto qkv = c_attn->forward(x).view({b, t, 3, n_head_, head_dim_}).permute({2, 0, 3, 1, 4});
  at::Tensor q = qkv[0], k = qkv[1], v = qkv[2];
  at::Tensor y;  // (B, H, T, D)
  if (cache != nullptr) {
    CacheView view = positions.q_pos.defined() ? cache->update_at(layer, positions.q_pos, qkv.narrow(0, 1, 2))
                                               : cache->update(layer, positions.q_pos0, k, v);
    AttentionPositions with_slots = positions;
    with_slots.key_pos = view.key_pos;
    y = kernel_->forward(q, view.k, view.v, with_slots, slopes);
  } else {
    y = kernel_->forward(q, k, v, positions, slopes);
  }
  return c_proj->forward(y.transpose(1, 2).reshape({b, t, c}));
}

MlpImpl::MlpImpl(const Gpt2Config& config) : activation_(config.activation) {
  c_fc = register_module("c_fc", torch::nn::Linear(config.n_embd, config.mlp_width()));
  c_proj = register_module("c_proj", torch::nn::Linear(config.mlp_width(), config.n_embd));
}

at::Tensor MlpImpl::forward(const at::Tensor& x) {
  if (x.is_cuda() && activation_ == Activation::kGeluTanh && !at::GradMode::is_enabled()) {
    // One cuBLASLt GEMM with a bias + tanh-GELU epilogue (ATen's fallback applies the same tanh
    // GELU) instead of a GEMM and an elementwise kernel: fewer launches per decode step.
    const at::Tensor x2d = x.reshape({-1, x.size(-1)});
    const at::Tensor h = at::_addmm_activation(c_fc->bias, x2d, c_fc->weight.t(), 1, 1, /*use_gelu=*/true);
    return c_proj->forward(h.view({x.size(0), x.size(1), h.size(1)}));
  }
  const char* approximate = activation_ == Activation::kGeluTanh ? "tanh" : "none";
  return c_proj->forward(at::gelu(c_fc->forward(x), approximate));
}

BlockImpl::BlockImpl(const Gpt2Config& config, std::shared_ptr<attention::AttentionImpl> kernel) {
  const auto ln = torch::nn::LayerNormOptions({config.n_embd}).eps(config.layer_norm_epsilon);
  ln_1 = register_module("ln_1", torch::nn::LayerNorm(ln));
  attn = register_module("attn", SelfAttention(config, std::move(kernel)));
  ln_2 = register_module("ln_2", torch::nn::LayerNorm(ln));
  mlp = register_module("mlp", Mlp(config));
}

at::Tensor BlockImpl::forward(const at::Tensor& x, const AttentionPositions& positions, KvCache* cache,
                              int64_t layer, const at::Tensor& slopes) {
  at::Tensor h = x + attn->forward(ln_1->forward(x), positions, cache, layer, slopes);
  return h + mlp->forward(ln_2->forward(h));
}

Gpt2ModelImpl::Gpt2ModelImpl(const Gpt2Config& config, const attention::AttentionSpec& spec)
    : Gpt2ModelImpl(config, spec, attention::make_attention(spec)) {}

Gpt2ModelImpl::Gpt2ModelImpl(const Gpt2Config& config, const attention::AttentionSpec& spec,
                             std::shared_ptr<attention::AttentionImpl> kernel)
    : config_(config), spec_(spec), kernel_(std::move(kernel)) {
  wte = register_module("wte", torch::nn::Embedding(config.vocab_size, config.n_embd));
  wpe = register_module("wpe", torch::nn::Embedding(config.n_positions, config.n_embd));
  h = register_module("h", torch::nn::ModuleList());
  for (int64_t l = 0; l < config.n_layer; ++l) h->push_back(Block(config, kernel_));
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
  return at::linear(ln_f->forward(x), wte->weight);  // tied lm_head: (B, T', V)
}

std::unique_ptr<KvCache> Gpt2ModelImpl::make_cache(const at::Tensor& key_start, int64_t max_len) const {
  const CacheShape shape{config_.n_layer, key_start.size(0), config_.n_head, config_.head_dim(),
                         wte->weight.scalar_type(), wte->weight.device()};
  return make_kv_cache(shape, spec_, max_len, key_start);
}

}  // namespace gptbench::model
