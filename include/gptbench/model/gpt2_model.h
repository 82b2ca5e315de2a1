// GPT-2 as torch::nn modules whose registered names mirror the Hugging Face checkpoint keys
// (wte, wpe, h.{i}.ln_1, h.{i}.attn.c_attn, ..., ln_f), so named_parameters() is the weight map's
// left-hand side. Linear weights are stored (out, in); HF's Conv1D (in, out) is transposed at load.
#pragma once

#include <torch/nn/module.h>                     // torch::nn::Module, TORCH_MODULE
#include <torch/nn/modules/container/modulelist.h>  // torch::nn::ModuleList
#include <torch/nn/modules/embedding.h>          // torch::nn::Embedding
#include <torch/nn/modules/linear.h>             // torch::nn::Linear
#include <torch/nn/modules/normalization.h>      // torch::nn::LayerNorm

#include <memory>  // std::shared_ptr
#include <string>  // std::string
#include <vector>  // std::vector

#include "gptbench/attention/attention.h"  // AttentionSpec, AttentionImpl, AttentionPositions
#include "gptbench/kernels/fused_linear.h"  // kGemvDefaultMaxRows
#include "gptbench/model/gpt2_config.h"    // Gpt2Config
#include "gptbench/model/kv_cache.h"       // KvCache

namespace gptbench::model {

// How a model's projections run, shared by its modules: up to how many rows they may take
// gptbench's GEMV kernel (FusedLinearOptions::gemv_max_rows), and which implementation each one of
// the last forward ran (kernels::fused_linear_path: "gemv_fp16_rows1", "aten", ...), distinct names
// in call order.
class LinearDispatch {
 public:
  int64_t gemv_max_rows = kernels::kGemvDefaultMaxRows;
  void clear() { paths_.clear(); }
  void add(const std::string& path);
  std::string joined() const;  // e.g. "gemv_fp16_rows8+aten"; "" before any forward

 private:
  std::vector<std::string> paths_;
};

class SelfAttentionImpl : public torch::nn::Module {
 public:
  SelfAttentionImpl(const Gpt2Config& config, std::shared_ptr<attention::AttentionImpl> kernel,
                    std::shared_ptr<LinearDispatch> paths);
  // x: (B, T, C) -> x + attention(ln(x)): the residual branch and its add. With a cache, new
  // keys/values are stored at positions.q_pos0, or at the device position positions.q_pos (then
  // by the qkv projection itself, into the cache's device_position_buffer).
  at::Tensor forward(const at::Tensor& x, const torch::nn::LayerNorm& ln,
                     const attention::AttentionPositions& positions, KvCache* cache, int64_t layer,
                     const at::Tensor& slopes);

  torch::nn::Linear c_attn{nullptr}, c_proj{nullptr};

 private:
  int64_t n_head_, head_dim_;
  std::shared_ptr<attention::AttentionImpl> kernel_;
  std::shared_ptr<LinearDispatch> paths_;
};
TORCH_MODULE(SelfAttention);

class MlpImpl : public torch::nn::Module {
 public:
  MlpImpl(const Gpt2Config& config, std::shared_ptr<LinearDispatch> paths);
  // x: (B, T, C) -> x + mlp(ln(x)): the residual branch and its add.
  at::Tensor forward(const at::Tensor& x, const torch::nn::LayerNorm& ln);
  torch::nn::Linear c_fc{nullptr}, c_proj{nullptr};

 private:
  Activation activation_;
  std::shared_ptr<LinearDispatch> paths_;
};
TORCH_MODULE(Mlp);

class BlockImpl : public torch::nn::Module {
 public:
  BlockImpl(const Gpt2Config& config, std::shared_ptr<attention::AttentionImpl> kernel,
            std::shared_ptr<LinearDispatch> paths);
  at::Tensor forward(const at::Tensor& x, const attention::AttentionPositions& positions, KvCache* cache,
                     int64_t layer, const at::Tensor& slopes);
  torch::nn::LayerNorm ln_1{nullptr}, ln_2{nullptr};
  SelfAttention attn{nullptr};
  Mlp mlp{nullptr};
};
TORCH_MODULE(Block);

// What forward returns: logits at every position, at the last one, or no logits at all: the final
// hidden states ln_f(x) (B, T, C), for losses that apply the tied lm_head themselves in chunks.
// The implementations the last forward ran: attention (AttentionImpl::last_kernel) and the
// projections (LinearDispatch::joined).
struct KernelsRan {
  std::string attention, linear;
};

enum class LogitsMode { kAllPositions, kLastPosition, kHidden };

class Gpt2ModelImpl : public torch::nn::Module {
 public:
  Gpt2ModelImpl(const Gpt2Config& config, const attention::AttentionSpec& spec);
  // With an explicit attention implementation (tests use the dense reference).
  Gpt2ModelImpl(const Gpt2Config& config, const attention::AttentionSpec& spec,
                std::shared_ptr<attention::AttentionImpl> kernel);

  // ids: (B, T) int64. Returns logits (B, T, V), (B, 1, V) with kLastPosition, or ln_f(x) (B, T, C)
  // with kHidden.
  // With a cache, keys/values of these T tokens are stored at positions.q_pos0 onwards.
  at::Tensor forward(const at::Tensor& ids, const attention::AttentionPositions& positions, KvCache* cache,
                     LogitsMode mode);

  const Gpt2Config& config() const { return config_; }
  const attention::AttentionSpec& spec() const { return spec_; }
  std::string last_kernel() const { return kernel_->last_kernel(); }  // the attention kernel
  // Up to how many rows projections take the GEMV: 0 runs every one on ATen ops (cuBLAS),
  // kernels::kGemvKernelMaxRows every one the kernel can serve (A/B runs).
  void set_gemv_max_rows(int64_t rows) { linear_->gemv_max_rows = rows; }
  KernelsRan last_kernels() const { return {kernel_->last_kernel(), linear_->joined()}; }
  // The cache this model's variant needs: rolling for sliding windows, dense (max_len) otherwise.
  std::unique_ptr<KvCache> make_cache(const at::Tensor& key_start, int64_t max_len) const;

  torch::nn::Embedding wte{nullptr}, wpe{nullptr};
  torch::nn::ModuleList h{nullptr};
  torch::nn::LayerNorm ln_f{nullptr};

 private:
  Gpt2Config config_;
  attention::AttentionSpec spec_;
  std::shared_ptr<attention::AttentionImpl> kernel_;
  std::shared_ptr<LinearDispatch> linear_ = std::make_shared<LinearDispatch>();
  at::Tensor alibi_slopes_;  // (H,) fp32, undefined without ALiBi
};
TORCH_MODULE(Gpt2Model);

}  // namespace gptbench::model
