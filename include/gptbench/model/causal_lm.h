// The one interface every model family implements (GPT-2 today; Llama and Mistral beside it), and
// the family-neutral facts about a model that run, generate, logits, sweep, train and info read.
// Callers hold a std::shared_ptr<CausalLm> (model::LoadedModel::model) and never name a family;
// the family table (model_family.h) reads config.json, builds, loads, initialises and saves.
// How to add a family: docs/ARCHITECTURE.md, "Adding things".
#pragma once

#include <ATen/core/Tensor.h>     // at::Tensor
#include <c10/core/Device.h>      // c10::Device
#include <c10/core/ScalarType.h>  // c10::ScalarType
#include <torch/nn/module.h>      // torch::nn::Module

#include <cstdint>  // int64_t
#include <memory>   // std::unique_ptr
#include <string>   // std::string
#include <vector>   // std::vector

#include "gptbench/attention/attention.h"  // AttentionSpec, AttentionPositions
#include "gptbench/model/kv_cache.h"       // KvCache, CacheShape
#include "gptbench/model/model_config.h"   // ModelConfig, ModelShape

namespace gptbench::model {

class ProjectionImpl;  // projection.h

// The longest sequence (prompt + new tokens) a model of `shape` takes under `spec`: max_positions,
// or, for a model whose only positions are a learned table that the variant drops (GPT-2 + ALiBi),
// kMaxAlibiTokens, what a KV cache may hold.
inline constexpr int64_t kMaxAlibiTokens = int64_t{1} << 20;
int64_t context_limit(const ModelShape& shape, const attention::AttentionSpec& spec);

// Throws UsageError when a model of `shape` cannot run `spec` in `dtype` on `device` (head size,
// head count, kernel support): attention::check_supported for the model's heads.
void check_attention_supported(const ModelShape& shape, const attention::AttentionSpec& spec, c10::ScalarType dtype,
                               c10::Device device);

// What forward returns: logits at every position, at the last one, or no logits at all: the final
// hidden states (after the final norm) (B, T, C), for losses that apply lm_head_weight() themselves
// in chunks.
enum class LogitsMode { kAllPositions, kLastPosition, kHidden };

// The implementations the last forward ran: attention (AttentionImpl::last_kernel) and the
// projections (LinearDispatch::joined).
struct KernelsRan {
  std::string attention, linear;
};

// A decoder-only language model of any family. Positions, padding and caches follow attention.h
// and kv_cache.h; every family honours the same contract, so generation, beam search, CUDA-graph
// decode, perplexity and training run any of them unchanged.
class CausalLm : public torch::nn::Module {
 public:
  // ids: (B, T) int64. Returns logits (B, T, V), (B, 1, V) with kLastPosition, or the final hidden
  // states (B, T, C) with kHidden. Without a cache, attends within ids. With a cache, keys/values of
  // these T tokens are stored at positions.q_pos0 onwards; with positions.q_pos defined (one token
  // at a device position, CUDA-graph decode) they are stored into cache->device_position_buffer.
  virtual at::Tensor forward(const at::Tensor& ids, const attention::AttentionPositions& positions, KvCache* cache,
                             LogitsMode mode) = 0;

  virtual const ModelConfig& config() const = 0;  // the family's config (its own type behind it)
  virtual const ModelShape& shape() const = 0;    // config().shape(), kept
  virtual const attention::AttentionSpec& spec() const = 0;
  // (V, C): the output projection the logits use (the token embedding when tied; a quantized head's
  // weight dequantized).
  virtual at::Tensor lm_head_weight() const = 0;
  // The lm_head as a Projection, for --quant-lm-head: the untied head, or, for a head tied to the token
  // embedding, a Projection holding a copy of it, made and registered as "lm_head" on the first call (the
  // logits then go through it; the embedding stays for the lookup).
  virtual ProjectionImpl& untied_lm_head() = 0;
  virtual KernelsRan last_kernels() const = 0;
  // Up to how many rows projections take gptbench's GEMV kernel: 0 runs every one on ATen ops
  // (cuBLAS), kernels::kGemvKernelMaxRows every one the kernel can serve (A/B runs).
  virtual void set_gemv_max_rows(int64_t rows) = 0;
  // Empty when forward supports positions.q_pos (decode at a device position, which CUDA-graph decode
  // needs) for this spec, else why not. Device and kernel checks are decode_graph.h's.
  virtual std::string device_position_unsupported_reason() const = 0;
  // Parameters the forward does not read under spec() (GPT-2's wpe under ALiBi): training freezes
  // them and the checkpoint keeps them unchanged.
  virtual std::vector<std::string> unused_parameters() const = 0;

  std::string last_kernel() const { return last_kernels().attention; }  // the attention kernel
  c10::Device device() const { return lm_head_weight().device(); }
  c10::ScalarType dtype() const { return lm_head_weight().scalar_type(); }
  // The KV cache layout of a batch of `batch` rows: shape()'s layers, kv heads and head size, in
  // this model's dtype on its device.
  CacheShape cache_shape(int64_t batch) const;
  // The cache this model's variant needs (make_kv_cache): rolling for sliding windows, dense
  // (max_len positions) otherwise. key_start: (B,) int64.
  std::unique_ptr<KvCache> make_cache(const at::Tensor& key_start, int64_t max_len) const;
};

}  // namespace gptbench::model
