// Llama/Mistral forward pass. Attention math lives behind attention::AttentionImpl, the rotation in
// rotate_qkv below.
#include "gptbench/model/llama_model.h"

#include <ATen/TensorOperators.h>  // Tensor operators (+, *)
#include <ATen/ops/cat.h>          // at::cat
#include <ATen/ops/rsqrt.h>        // at::rsqrt
#include <ATen/ops/silu.h>         // at::silu
#include <ATen/ops/tensor.h>       // at::tensor
#include <ATen/ops/arange.h>       // at::arange
#include <ATen/ops/ones.h>         // at::ones

#include <string>   // std::string
#include <utility>  // std::move
#include <vector>   // std::vector

#include "gptbench/attention/alibi.h"       // alibi_slopes
#include "gptbench/kernels/fused_linear.h"  // fused_linear, FusedLinearOptions
#include "gptbench/model/llama_rope.h"      // rope_inv_freq
#include "gptbench/util/check.h"            // GPTBENCH_CHECK

namespace gptbench::model {

using attention::AttentionPositions;
using kernels::FusedLinearOptions;

namespace {

// y = x @ weight^T (+ residual) through fused_linear as `dispatch` allows, its implementation recorded there.
at::Tensor project(LinearDispatch& dispatch, const at::Tensor& x, const at::Tensor& weight,
                   const at::Tensor& residual = {}) {
  FusedLinearOptions o;
  o.residual = residual;
  o.gemv_max_rows = dispatch.gemv_max_rows;
  std::string path;
  at::Tensor y = kernels::fused_linear(x, weight, o, &path);
  dispatch.add(path);
  return y;
}

// HF's rotate_half: (x1, x2) -> (-x2, x1) over the two halves of the last dim.
at::Tensor rotate_half(const at::Tensor& x) {
  const int64_t half = x.size(-1) / 2;
  return at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

// x: (B, H, T, D) rotated for positions pos0 .. pos0 + T - 1 (angles in fp32, result in x's dtype).
at::Tensor rope(const at::Tensor& x, const at::Tensor& inv_freq, int64_t pos0) {
  const int64_t t = x.size(2);
  const at::Tensor pos = at::arange(pos0, pos0 + t, inv_freq.options());           // (T,)
  const at::Tensor freqs = pos.unsqueeze(1) * inv_freq.unsqueeze(0);                // (T, D/2)
  const at::Tensor angles = at::cat({freqs, freqs}, -1);                           // (T, D)
  const at::Tensor cos = angles.cos().to(x.scalar_type()), sin = angles.sin().to(x.scalar_type());
  return x * cos + rotate_half(x) * sin;
}

struct Qkv {
  at::Tensor q, k, v;  // q (B, H, T, D); k, v (B, Hkv, T, D)
};

// qkv: (B, T, (H + 2 Hkv) D), q heads then k heads then v heads -> q and k rotated, v as is.
Qkv rotate_qkv(const at::Tensor& qkv, const at::Tensor& inv_freq, int64_t n_head, int64_t n_kv_head, int64_t pos0) {
  const int64_t b = qkv.size(0), t = qkv.size(1);
  const int64_t d = qkv.size(2) / (n_head + 2 * n_kv_head);
  const at::Tensor heads = qkv.view({b, t, n_head + 2 * n_kv_head, d}).transpose(1, 2);  // (B, H + 2Hkv, T, D)
  return {rope(heads.narrow(1, 0, n_head), inv_freq, pos0), rope(heads.narrow(1, n_head, n_kv_head), inv_freq, pos0),
          heads.narrow(1, n_head + n_kv_head, n_kv_head)};
}

// k/v (B, Hkv, T, D) -> (B, H, T, D), head h reading kv head h / (H / Hkv).
at::Tensor expand_kv_heads(const at::Tensor& x, int64_t n_head) {
  const int64_t group = n_head / x.size(1);
  return group == 1 ? x : x.repeat_interleave(group, 1);
}

}  // namespace

LlamaRmsNormImpl::LlamaRmsNormImpl(int64_t width, double eps) : eps_(eps) {
  weight = register_parameter("weight", at::ones({width}));
}

at::Tensor LlamaRmsNormImpl::forward(const at::Tensor& x) const {
  const at::Tensor x32 = x.to(at::kFloat);
  const at::Tensor normed = x32 * at::rsqrt(x32.pow(2).mean(-1, /*keepdim=*/true) + eps_);
  return weight * normed.to(x.scalar_type());
}

LlamaAttentionImpl::LlamaAttentionImpl(const LlamaConfig& config, std::shared_ptr<attention::AttentionImpl> kernel,
                                       std::shared_ptr<LinearDispatch> paths)
    : n_head_(config.num_attention_heads),
      n_kv_head_(config.num_key_value_heads),
      head_dim_(config.head_dim()),
      kernel_(std::move(kernel)),
      paths_(std::move(paths)) {
  const int64_t c = config.hidden_size, qkv_width = config.q_width() + 2 * config.kv_width();
  qkv_proj = register_module("qkv_proj", torch::nn::Linear(torch::nn::LinearOptions(c, qkv_width).bias(false)));
  o_proj = register_module("o_proj", torch::nn::Linear(torch::nn::LinearOptions(config.q_width(), c).bias(false)));
}

at::Tensor LlamaAttentionImpl::forward(const at::Tensor& x, const LlamaRmsNorm& norm, const at::Tensor& inv_freq,
                                       const AttentionPositions& positions, KvCache* cache, int64_t layer,
                                       const at::Tensor& slopes) {
  GPTBENCH_CHECK(!positions.q_pos.defined(),
                 "Llama/Mistral decode takes host positions only: decode it without CUDA graphs");
  const int64_t b = x.size(0), t = x.size(1);
  const at::Tensor qkv = project(*paths_, norm->forward(x), qkv_proj->weight);  // (B, T, (H + 2Hkv) D)
  const Qkv heads = rotate_qkv(qkv, inv_freq, n_head_, n_kv_head_, positions.q_pos0);
  at::Tensor y;  // (B, H, T, D)
  if (cache != nullptr) {
    const CacheView view = cache->update(layer, positions.q_pos0, heads.k, heads.v);
    AttentionPositions with_slots = positions;
    with_slots.key_pos = view.key_pos;
    y = kernel_->forward(heads.q, expand_kv_heads(view.k, n_head_), expand_kv_heads(view.v, n_head_), with_slots,
                         slopes);
  } else {
    y = kernel_->forward(heads.q, expand_kv_heads(heads.k, n_head_), expand_kv_heads(heads.v, n_head_), positions,
                         slopes);
  }
  return project(*paths_, y.transpose(1, 2).reshape({b, t, n_head_ * head_dim_}), o_proj->weight, x);
}

LlamaMlpImpl::LlamaMlpImpl(const LlamaConfig& config, std::shared_ptr<LinearDispatch> paths)
    : width_(config.intermediate_size), paths_(std::move(paths)) {
  const int64_t c = config.hidden_size, f = config.intermediate_size;
  gate_up_proj = register_module("gate_up_proj", torch::nn::Linear(torch::nn::LinearOptions(c, 2 * f).bias(false)));
  down_proj = register_module("down_proj", torch::nn::Linear(torch::nn::LinearOptions(f, c).bias(false)));
}

at::Tensor LlamaMlpImpl::forward(const at::Tensor& x, const LlamaRmsNorm& norm) {
  const at::Tensor gate_up = project(*paths_, norm->forward(x), gate_up_proj->weight);  // (B, T, 2F)
  const at::Tensor act = at::silu(gate_up.narrow(-1, 0, width_)) * gate_up.narrow(-1, width_, width_);
  return project(*paths_, act, down_proj->weight, x);
}

LlamaDecoderLayerImpl::LlamaDecoderLayerImpl(const LlamaConfig& config,
                                             std::shared_ptr<attention::AttentionImpl> kernel,
                                             std::shared_ptr<LinearDispatch> paths) {
  input_layernorm = register_module("input_layernorm", LlamaRmsNorm(config.hidden_size, config.rms_norm_eps));
  self_attn = register_module("self_attn", LlamaAttention(config, std::move(kernel), paths));
  post_attention_layernorm =
      register_module("post_attention_layernorm", LlamaRmsNorm(config.hidden_size, config.rms_norm_eps));
  mlp = register_module("mlp", LlamaMlp(config, std::move(paths)));
}

at::Tensor LlamaDecoderLayerImpl::forward(const at::Tensor& x, const at::Tensor& inv_freq,
                                          const AttentionPositions& positions, KvCache* cache, int64_t layer,
                                          const at::Tensor& slopes) {
  return mlp->forward(self_attn->forward(x, input_layernorm, inv_freq, positions, cache, layer, slopes),
                      post_attention_layernorm);
}

attention::AttentionSpec llama_attention_spec(const LlamaConfig& config, const attention::AttentionSpec& spec) {
  attention::AttentionSpec out = spec;
  if (out.window == 0) out.window = config.sliding_window;
  return out;
}

LlamaModelImpl::LlamaModelImpl(const LlamaConfig& config, const attention::AttentionSpec& spec)
    : LlamaModelImpl(config, llama_attention_spec(config, spec),
                     attention::make_attention(llama_attention_spec(config, spec))) {}

LlamaModelImpl::LlamaModelImpl(const LlamaConfig& config, const attention::AttentionSpec& spec,
                               std::shared_ptr<attention::AttentionImpl> kernel)
    : config_(config), spec_(spec), kernel_(std::move(kernel)), inv_freq_(rope_inv_freq(config)) {
  embed_tokens = register_module("embed_tokens", torch::nn::Embedding(config.vocab_size, config.hidden_size));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t l = 0; l < config.num_hidden_layers; ++l) layers->push_back(LlamaDecoderLayer(config, kernel_, linear_));
  norm = register_module("norm", LlamaRmsNorm(config.hidden_size, config.rms_norm_eps));
  if (!config.tie_word_embeddings) {
    lm_head = register_module(
        "lm_head", torch::nn::Linear(torch::nn::LinearOptions(config.hidden_size, config.vocab_size).bias(false)));
  }
  if (spec_.alibi()) {
    std::vector<double> slopes = attention::alibi_slopes(config.num_attention_heads);
    alibi_slopes_ = at::tensor(std::vector<float>(slopes.begin(), slopes.end()));
  }
}

const at::Tensor& LlamaModelImpl::inv_freq_on(const c10::Device& device) {
  if (inv_freq_.device() != device) inv_freq_ = inv_freq_.to(device);
  if (alibi_slopes_.defined() && alibi_slopes_.device() != device) alibi_slopes_ = alibi_slopes_.to(device);
  return inv_freq_;
}

at::Tensor LlamaModelImpl::output_weight() const { return lm_head ? lm_head->weight : embed_tokens->weight; }

at::Tensor LlamaModelImpl::forward(const at::Tensor& ids, const AttentionPositions& positions, KvCache* cache,
                                   LogitsMode mode) {
  const int64_t t = ids.size(1);
  linear_->clear();
  const at::Tensor& inv_freq = inv_freq_on(ids.device());
  at::Tensor x = embed_tokens->forward(ids);  // (B, T, C)
  for (int64_t l = 0; l < config_.num_hidden_layers; ++l) {
    x = layers[l]->as<LlamaDecoderLayerImpl>()->forward(x, inv_freq, positions, cache, l, alibi_slopes_);
  }
  if (mode == LogitsMode::kLastPosition) x = x.narrow(1, t - 1, 1);
  x = norm->forward(x);
  if (mode == LogitsMode::kHidden) return x;  // (B, T, C)
  return project(*linear_, x, output_weight());  // (B, T', V)
}

std::unique_ptr<KvCache> LlamaModelImpl::make_cache(const at::Tensor& key_start, int64_t max_len) const {
  // The cache holds the Hkv key/value heads (CacheShape's head count is the stored one).
  const CacheShape shape{config_.num_hidden_layers, key_start.size(0), config_.num_key_value_heads,
                         config_.head_dim(), embed_tokens->weight.scalar_type(), embed_tokens->weight.device()};
  return make_kv_cache(shape, spec_, max_len, key_start);
}

}  // namespace gptbench::model
