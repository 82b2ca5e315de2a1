// GPT-2 as torch::nn modules whose registered names mirror the Hugging Face checkpoint keys
// (wte, wpe, h.{i}.ln_1, h.{i}.attn.c_attn, ..., ln_f), so named_parameters() is the weight map's
// left-hand side. Linear weights are stored (out, in); HF's Conv1D (in, out) is transposed at load.
#pragma once

#include <c10/core/TensorOptions.h>              // at::TensorOptions
#include <torch/nn/module.h>                     // torch::nn::Module, TORCH_MODULE
#include <torch/nn/modules/container/modulelist.h>  // torch::nn::ModuleList
#include <torch/nn/modules/embedding.h>          // torch::nn::Embedding
#include <torch/nn/modules/normalization.h>      // torch::nn::LayerNorm

#include <memory>  // std::shared_ptr
#include <string>  // std::string
#include <vector>  // std::vector

#include "gptbench/attention/attention.h"  // AttentionSpec, AttentionImpl, AttentionPositions
#include "gptbench/model/causal_lm.h"      // CausalLm, LogitsMode, KernelsRan, ModelShape
#include "gptbench/model/gpt2_config.h"    // Gpt2Config
#include "gptbench/model/kv_cache.h"       // KvCache
#include "gptbench/model/linear_dispatch.h"  // LinearDispatch
#include "gptbench/model/projection.h"       // Projection

namespace gptbench::model {

class SelfAttentionImpl : public torch::nn::Module {
 public:
  // Projections allocated uninitialised with `weights` (dtype, device).
  SelfAttentionImpl(const Gpt2Config& config, std::shared_ptr<attention::AttentionImpl> kernel,
                    const std::shared_ptr<LinearDispatch>& paths, const at::TensorOptions& weights);
  // x: (B, T, C) -> x + attention(ln(x)): the residual branch and its add. With a cache, new
  // keys/values are stored at positions.q_pos0, or at the device position positions.q_pos (then
  // by the qkv projection itself, into the cache's device_position_buffer).
  at::Tensor forward(const at::Tensor& x, const torch::nn::LayerNorm& ln,
                     const attention::AttentionPositions& positions, KvCache* cache, int64_t layer,
                     const at::Tensor& slopes);

  Projection c_attn{nullptr}, c_proj{nullptr};

 private:
  int64_t n_head_, head_dim_;
  std::shared_ptr<attention::AttentionImpl> kernel_;
};
TORCH_MODULE(SelfAttention);

class MlpImpl : public torch::nn::Module {
 public:
  MlpImpl(const Gpt2Config& config, const std::shared_ptr<LinearDispatch>& paths, const at::TensorOptions& weights);
  // x: (B, T, C) -> x + mlp(ln(x)): the residual branch and its add.
  at::Tensor forward(const at::Tensor& x, const torch::nn::LayerNorm& ln);
  Projection c_fc{nullptr}, c_proj{nullptr};

 private:
  Activation activation_;
};
TORCH_MODULE(Mlp);

class BlockImpl : public torch::nn::Module {
 public:
  BlockImpl(const Gpt2Config& config, std::shared_ptr<attention::AttentionImpl> kernel,
            const std::shared_ptr<LinearDispatch>& paths, const at::TensorOptions& weights);
  at::Tensor forward(const at::Tensor& x, const attention::AttentionPositions& positions, KvCache* cache,
                     int64_t layer, const at::Tensor& slopes);
  torch::nn::LayerNorm ln_1{nullptr}, ln_2{nullptr};
  SelfAttention attn{nullptr};
  Mlp mlp{nullptr};
};
TORCH_MODULE(Block);

// GPT-2 behind the model interface (causal_lm.h). Built through the family table (model_family.h) or
// directly (tests).
class Gpt2ModelImpl : public CausalLm {
 public:
  // Weights allocated uninitialised with `weights` (dtype, device; default fp32 CPU), except the
  // LayerNorms (ones and zeros, fp32 CPU): init_weights or a checkpoint fills them.
  Gpt2ModelImpl(const Gpt2Config& config, const attention::AttentionSpec& spec,
                const at::TensorOptions& weights = {});
  // With an explicit attention implementation (tests use the dense reference).
  Gpt2ModelImpl(const Gpt2Config& config, const attention::AttentionSpec& spec,
                std::shared_ptr<attention::AttentionImpl> kernel, const at::TensorOptions& weights = {});

  // ids: (B, T) int64. Returns logits (B, T, V), (B, 1, V) with kLastPosition, or ln_f(x) (B, T, C)
  // with kHidden. With a cache, keys/values of these T tokens are stored at positions.q_pos0 onwards.
  at::Tensor forward(const at::Tensor& ids, const attention::AttentionPositions& positions, KvCache* cache,
                     LogitsMode mode) override;

  const Gpt2Config& config() const override { return config_; }
  const ModelShape& shape() const override { return shape_; }
  const attention::AttentionSpec& spec() const override { return spec_; }
  at::Tensor lm_head_weight() const override { return wte->weight; }  // tied: (V, C)
  ProjectionImpl& untied_lm_head() override;
  KernelsRan last_kernels() const override { return {kernel_->last_kernel(), linear_->joined()}; }
  void set_gemv_max_rows(int64_t rows) override { linear_->gemv_max_rows = rows; }
  // The fused qkv projection stores a device-position token's key and value itself.
  std::string device_position_unsupported_reason() const override { return ""; }
  std::vector<std::string> unused_parameters() const override;  // wpe.weight under ALiBi

  torch::nn::Embedding wte{nullptr}, wpe{nullptr};
  torch::nn::ModuleList h{nullptr};
  torch::nn::LayerNorm ln_f{nullptr};
  Projection lm_head{nullptr};  // nullptr (the logits use wte) until untied_lm_head

 private:
  Gpt2Config config_;
  ModelShape shape_;
  attention::AttentionSpec spec_;
  std::shared_ptr<attention::AttentionImpl> kernel_;
  std::shared_ptr<LinearDispatch> linear_ = std::make_shared<LinearDispatch>();
  at::Tensor alibi_slopes_;  // (H,) fp32, undefined without ALiBi
};
TORCH_MODULE(Gpt2Model);

}  // namespace gptbench::model
