// Llama and Mistral as torch::nn modules: RMSNorm, rotary embeddings, grouped-query attention, SwiGLU MLP,
// untied (or tied) lm_head. Module names follow HF's keys without "model." except the fused projections
// (self_attn.qkv_proj, mlp.gate_up_proj); llama_weight_map.h is the table between the two.
#pragma once

#include <ATen/core/Tensor.h>  // at::Tensor
#include <c10/core/TensorOptions.h>                  // at::TensorOptions
#include <torch/nn/module.h>                        // torch::nn::Module, TORCH_MODULE
#include <torch/nn/modules/container/modulelist.h>  // torch::nn::ModuleList
#include <torch/nn/modules/embedding.h>             // torch::nn::Embedding

#include <memory>  // std::shared_ptr, std::unique_ptr
#include <string>  // std::string
#include <vector>  // std::vector

#include "gptbench/attention/attention.h"  // AttentionSpec, AttentionImpl, AttentionPositions
#include "gptbench/model/causal_lm.h"        // CausalLm, LogitsMode, KernelsRan, ModelShape
#include "gptbench/model/kv_cache.h"         // KvCache
#include "gptbench/model/linear_dispatch.h"  // LinearDispatch
#include "gptbench/model/llama_config.h"     // LlamaConfig
#include "gptbench/model/projection.h"       // Projection

namespace gptbench::model {

// HF's LlamaRMSNorm: statistics in fp32, normalised x cast back to x's dtype, then times the weight.
class LlamaRmsNormImpl : public torch::nn::Module {
 public:
  LlamaRmsNormImpl(int64_t width, double eps);
  at::Tensor forward(const at::Tensor& x) const;  // x: (..., width)
  // The options of a projection that RMS-normalises its input with this norm first (fused in the GEMV).
  kernels::FusedLinearOptions before_projection() const;
  at::Tensor weight;

 private:
  double eps_;
};
TORCH_MODULE(LlamaRmsNorm);

class LlamaAttentionImpl : public torch::nn::Module {
 public:
  // Projections allocated uninitialised with `weights` (dtype, device).
  LlamaAttentionImpl(const LlamaConfig& config, std::shared_ptr<attention::AttentionImpl> kernel,
                     const std::shared_ptr<LinearDispatch>& paths, const at::TensorOptions& weights);
  // x: (B, T, C) -> x + attention(norm(x)): the residual branch and its add. inv_freq: (D/2,) fp32 on x's
  // device. With a cache, new keys/values (Hkv heads) are stored at positions.q_pos0, or at the device
  // position positions.q_pos (then by kernels::rope_split_qkv_into_cache, into device_position_buffer).
  at::Tensor forward(const at::Tensor& x, const LlamaRmsNorm& norm, const at::Tensor& inv_freq,
                     const attention::AttentionPositions& positions, KvCache* cache, int64_t layer,
                     const at::Tensor& slopes);

  Projection qkv_proj{nullptr}, o_proj{nullptr};

 private:
  int64_t n_head_, n_kv_head_, head_dim_;
  std::shared_ptr<attention::AttentionImpl> kernel_;
};
TORCH_MODULE(LlamaAttention);

class LlamaMlpImpl : public torch::nn::Module {
 public:
  LlamaMlpImpl(const LlamaConfig& config, const std::shared_ptr<LinearDispatch>& paths,
               const at::TensorOptions& weights);
  // x: (B, T, C) -> x + down(silu(gate(norm(x))) * up(norm(x))): the residual branch and its add.
  at::Tensor forward(const at::Tensor& x, const LlamaRmsNorm& norm);
  Projection gate_up_proj{nullptr}, down_proj{nullptr};
};
TORCH_MODULE(LlamaMlp);

class LlamaDecoderLayerImpl : public torch::nn::Module {
 public:
  LlamaDecoderLayerImpl(const LlamaConfig& config, std::shared_ptr<attention::AttentionImpl> kernel,
                        const std::shared_ptr<LinearDispatch>& paths, const at::TensorOptions& weights);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& inv_freq, const attention::AttentionPositions& positions,
                     KvCache* cache, int64_t layer, const at::Tensor& slopes);
  LlamaRmsNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
  LlamaAttention self_attn{nullptr};
  LlamaMlp mlp{nullptr};
};
TORCH_MODULE(LlamaDecoderLayer);

// The variant a Llama/Mistral runs: `spec`, with Mistral's sliding_window as the window when the variant
// names none (transformers' mask keeps key k for query q iff q - W < k <= q: our window W exactly).
attention::AttentionSpec llama_attention_spec(const LlamaConfig& config, const attention::AttentionSpec& spec);

// Llama/Mistral behind the model interface (causal_lm.h). Built through the family table (llama_family.h)
// or directly (tests).
class LlamaModelImpl : public CausalLm {
 public:
  // Embedding and projections allocated uninitialised with `weights` (dtype, device; default fp32 CPU),
  // the RMSNorm weights ones (fp32 CPU): init_weights or a checkpoint fills them.
  LlamaModelImpl(const LlamaConfig& config, const attention::AttentionSpec& spec,
                 const at::TensorOptions& weights = {});
  // With an explicit attention implementation (tests use the dense reference); `spec` is used as given.
  LlamaModelImpl(const LlamaConfig& config, const attention::AttentionSpec& spec,
                 std::shared_ptr<attention::AttentionImpl> kernel, const at::TensorOptions& weights = {});

  // ids: (B, T) int64. Returns logits (B, T, V), (B, 1, V) with kLastPosition, or norm(x) (B, T, C) with
  // kHidden. With a cache, keys/values of these T tokens are stored at positions.q_pos0 onwards.
  at::Tensor forward(const at::Tensor& ids, const attention::AttentionPositions& positions, KvCache* cache,
                     LogitsMode mode) override;

  const LlamaConfig& config() const override { return config_; }
  const ModelShape& shape() const override { return shape_; }
  const attention::AttentionSpec& spec() const override { return spec_; }
  at::Tensor lm_head_weight() const override;
  ProjectionImpl& untied_lm_head() override;
  KernelsRan last_kernels() const override { return {kernel_->last_kernel(), linear_->joined()}; }
  void set_gemv_max_rows(int64_t rows) override { linear_->gemv_max_rows = rows; }
  // kernels::rope_split_qkv_into_cache rotates and stores a device-position token's key and value.
  std::string device_position_unsupported_reason() const override { return ""; }
  std::vector<std::string> unused_parameters() const override { return {}; }

  torch::nn::Embedding embed_tokens{nullptr};
  torch::nn::ModuleList layers{nullptr};
  LlamaRmsNorm norm{nullptr};
  Projection lm_head{nullptr};  // nullptr when tie_word_embeddings, until untied_lm_head

 private:
  // (D/2,) fp32 on `device`; the ALiBi slopes follow it there.
  const at::Tensor& inv_freq_on(const c10::Device& device);

  LlamaConfig config_;
  ModelShape shape_;
  attention::AttentionSpec spec_;
  std::shared_ptr<attention::AttentionImpl> kernel_;
  std::shared_ptr<LinearDispatch> linear_ = std::make_shared<LinearDispatch>();
  at::Tensor inv_freq_;      // (D/2,) fp32, not a parameter or buffer: module->to(dtype) leaves it fp32
  at::Tensor alibi_slopes_;  // (H,) fp32, undefined without ALiBi
};
TORCH_MODULE(LlamaModel);

}  // namespace gptbench::model
