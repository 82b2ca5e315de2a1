// Llama/Mistral forward pass. Attention math lives behind attention::AttentionImpl, the rotation in
// kernels/rope_op.h.
#include "gptbench/model/llama_model.h"

#include <ATen/ops/tensor.h>       // at::tensor
#include <ATen/ops/ones.h>         // at::ones

#include <string>   // std::string
#include <utility>  // std::move
#include <vector>   // std::vector

#include "gptbench/attention/alibi.h"       // alibi_slopes
#include "gptbench/kernels/fused_linear.h"  // FusedLinearOptions, LinearInput, linear_input
#include "gptbench/kernels/rope_op.h"      // rope_split_qkv, rope_split_qkv_into_cache
#include "gptbench/model/llama_rope.h"      // rope_inv_freq
#include "gptbench/model/uninitialised_embedding.h"  // uninitialised_embedding
#include "gptbench/util/check.h"            // GPTBENCH_CHECK

namespace gptbench::model {

using attention::AttentionPositions;
using kernels::FusedLinearOptions;

namespace {

// y = projection(input(x)) + residual, input(x) as `o` says (fused into the decode GEMV).
at::Tensor project_add(Projection& projection, const at::Tensor& x, FusedLinearOptions o, const at::Tensor& residual) {
  o.residual = residual;
  return projection->forward(x, std::move(o));
}

}  // namespace

LlamaRmsNormImpl::LlamaRmsNormImpl(int64_t width, double eps) : eps_(eps) {
  weight = register_parameter("weight", at::ones({width}));
}

FusedLinearOptions LlamaRmsNormImpl::before_projection() const {
  FusedLinearOptions o;
  o.input = kernels::LinearInput::kRmsNorm;
  o.ln_weight = weight;
  o.ln_eps = eps_;
  return o;
}

at::Tensor LlamaRmsNormImpl::forward(const at::Tensor& x) const { return kernels::linear_input(x, before_projection()); }

LlamaAttentionImpl::LlamaAttentionImpl(const LlamaConfig& config, std::shared_ptr<attention::AttentionImpl> kernel,
                                       const std::shared_ptr<LinearDispatch>& paths, const at::TensorOptions& weights)
    : n_head_(config.num_attention_heads),
      n_kv_head_(config.num_key_value_heads),
      head_dim_(config.head_dim()),
      kernel_(std::move(kernel)) {
  const int64_t c = config.hidden_size, qkv_width = config.q_width() + 2 * config.kv_width();
  qkv_proj = register_module("qkv_proj", Projection(c, qkv_width, /*bias=*/false, paths, weights));
  o_proj = register_module("o_proj", Projection(config.q_width(), c, /*bias=*/false, paths, weights));
}

at::Tensor LlamaAttentionImpl::forward(const at::Tensor& x, const LlamaRmsNorm& norm, const at::Tensor& inv_freq,
                                       const AttentionPositions& positions, KvCache* cache, int64_t layer,
                                       const at::Tensor& slopes) {
  const int64_t b = x.size(0), t = x.size(1);
  const at::Tensor qkv = project_add(qkv_proj, x, norm->before_projection(), {});  // (B, T, (H + 2Hkv) D)
  at::Tensor y;  // (B, H, T, D)
  if (cache != nullptr && positions.q_pos.defined()) {
    at::Tensor kv_buffer = cache->device_position_buffer(layer);  // (2, B, Hkv, capacity, D)
    GPTBENCH_CHECK(kv_buffer.defined(), "this KV cache takes host positions only: decode it without CUDA graphs");
    const at::Tensor q =
        kernels::rope_split_qkv_into_cache(qkv, inv_freq, n_head_, n_kv_head_, positions.q_pos, kv_buffer);
    y = kernel_->forward(q, kv_buffer[0], kv_buffer[1], positions, slopes);
  } else {
    const kernels::RotatedQkv heads = kernels::rope_split_qkv(qkv, inv_freq, n_head_, n_kv_head_, positions.q_pos0);
    if (cache != nullptr) {
      const CacheView view = cache->update(layer, positions.q_pos0, heads.k, heads.v);
      AttentionPositions with_slots = positions;
      with_slots.key_pos = view.key_pos;
      y = kernel_->forward(heads.q, view.k, view.v, with_slots, slopes);
    } else {
      y = kernel_->forward(heads.q, heads.k, heads.v, positions, slopes);
    }
  }
  return project_add(o_proj, y.transpose(1, 2).reshape({b, t, n_head_ * head_dim_}), {}, x);
}

LlamaMlpImpl::LlamaMlpImpl(const LlamaConfig& config, const std::shared_ptr<LinearDispatch>& paths,
                           const at::TensorOptions& weights) {
  const int64_t c = config.hidden_size, f = config.intermediate_size;
  gate_up_proj = register_module("gate_up_proj", Projection(c, 2 * f, /*bias=*/false, paths, weights));
  down_proj = register_module("down_proj", Projection(f, c, /*bias=*/false, paths, weights));
}

at::Tensor LlamaMlpImpl::forward(const at::Tensor& x, const LlamaRmsNorm& norm) {
  const at::Tensor gate_up = project_add(gate_up_proj, x, norm->before_projection(), {});  // (B, T, 2F)
  FusedLinearOptions gated;
  gated.input = kernels::LinearInput::kSiluGate;  // silu(gate) * up, fused into down_proj's input
  return project_add(down_proj, gate_up, std::move(gated), x);
}

LlamaDecoderLayerImpl::LlamaDecoderLayerImpl(const LlamaConfig& config,
                                             std::shared_ptr<attention::AttentionImpl> kernel,
                                             const std::shared_ptr<LinearDispatch>& paths,
                                             const at::TensorOptions& weights) {
  input_layernorm = register_module("input_layernorm", LlamaRmsNorm(config.hidden_size, config.rms_norm_eps));
  self_attn = register_module("self_attn", LlamaAttention(config, std::move(kernel), paths, weights));
  post_attention_layernorm =
      register_module("post_attention_layernorm", LlamaRmsNorm(config.hidden_size, config.rms_norm_eps));
  mlp = register_module("mlp", LlamaMlp(config, paths, weights));
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

LlamaModelImpl::LlamaModelImpl(const LlamaConfig& config, const attention::AttentionSpec& spec,
                               const at::TensorOptions& weights)
    : LlamaModelImpl(config, llama_attention_spec(config, spec),
                     attention::make_attention(llama_attention_spec(config, spec)), weights) {}

LlamaModelImpl::LlamaModelImpl(const LlamaConfig& config, const attention::AttentionSpec& spec,
                               std::shared_ptr<attention::AttentionImpl> kernel, const at::TensorOptions& weights)
    : config_(config),
      shape_(config.shape()),
      spec_(spec),
      kernel_(std::move(kernel)),
      inv_freq_(rope_inv_freq(config)) {
  embed_tokens = register_module("embed_tokens", uninitialised_embedding(config.vocab_size, config.hidden_size, weights));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t l = 0; l < config.num_hidden_layers; ++l) {
    layers->push_back(LlamaDecoderLayer(config, kernel_, linear_, weights));
  }
  norm = register_module("norm", LlamaRmsNorm(config.hidden_size, config.rms_norm_eps));
  if (!config.tie_word_embeddings) {
    lm_head = register_module(
        "lm_head", Projection(config.hidden_size, config.vocab_size, /*bias=*/false, linear_, weights));
  }
  if (spec_.alibi()) {
    std::vector<double> slopes = attention::alibi_slopes(config.num_attention_heads);
    alibi_slopes_ = at::tensor(std::vector<float>(slopes.begin(), slopes.end()));
  }
}

at::Tensor LlamaModelImpl::lm_head_weight() const {
  if (!lm_head) return embed_tokens->weight;
  return lm_head->is_quantized() ? lm_head->effective_weight() : lm_head->weight;
}

ProjectionImpl& LlamaModelImpl::untied_lm_head() {
  if (!lm_head) lm_head = register_module("lm_head", projection_copy_of(embed_tokens->weight, linear_));
  return *lm_head;
}

const at::Tensor& LlamaModelImpl::inv_freq_on(const c10::Device& device) {
  if (inv_freq_.device() != device) inv_freq_ = inv_freq_.to(device);
  if (alibi_slopes_.defined() && alibi_slopes_.device() != device) alibi_slopes_ = alibi_slopes_.to(device);
  return inv_freq_;
}

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
  if (mode == LogitsMode::kHidden) return norm->forward(x);  // (B, T, C)
  if (lm_head) return lm_head->forward(x, norm->before_projection());          // (B, T', V)
  return project(*linear_, x, embed_tokens->weight, norm->before_projection());  // tied: (B, T', V)
}

}  // namespace gptbench::model
