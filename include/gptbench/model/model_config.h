// The family-neutral description of a model (ModelShape) and the config.json of any family behind
// one base (ModelConfig): what run, generate, logits, sweep, train and info read without building a
// model. A family's own config type (model::Gpt2Config) derives from ModelConfig. Torch-free (the
// config fuzz target compiles it alone).
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>  // int64_t
#include <memory>   // std::unique_ptr
#include <string>   // std::string

#include "gptbench/attention/learned_spec.h"  // LearnedSpec

namespace gptbench::model {

// What every caller may know about a model without knowing its family.
struct ModelShape {
  std::string family;  // config.json's model_type: "gpt2", "llama", "mistral" (the report's model.family)
  std::string name;    // the named shape it matches ("gpt2-medium", "llama-tiny"), or "custom"
  int64_t n_layer = 0;
  int64_t n_head = 0;     // query heads
  int64_t n_kv_head = 0;  // key/value heads (grouped-query attention); n_head when not grouped
  int64_t head_dim = 0;
  int64_t hidden_size = 0;  // the residual width (GPT-2's n_embd)
  int64_t mlp_width = 0;    // the MLP's inner width (GPT-2's n_inner or 4 * n_embd; Llama's intermediate_size)
  int64_t vocab_size = 0;
  int64_t max_positions = 0;        // the trained context (n_positions, max_position_embeddings)
  std::string max_positions_key;    // its config.json key, for messages ("n_positions")
  // Learned absolute positions (GPT-2's wpe): the context bound unless an ALiBi variant drops them.
  bool position_table = false;
  int64_t bos_token_id = -1, eos_token_id = -1;  // -1: none
  bool tied_lm_head = true;  // lm_head is the token embedding (else its own weight)
  int64_t parameter_count = 0;  // every parameter, a tied lm_head counted once
  // Parameters only looked up, never multiplied (a position table; an untied input embedding):
  // the training FLOP count leaves them out (train/flops.h).
  int64_t lookup_parameters = 0;
};

// A checkpoint's config.json as its family reads it (model::Gpt2Config is GPT-2's). The family
// table builds models from it; everything else reads shape().
class ModelConfig {
 public:
  virtual ~ModelConfig() = default;
  virtual ModelShape shape() const = 0;
  // config.json as transformers writes it for this family, with trained_variant recorded as
  // {"gptbench": {"variant": ...}} when set.
  virtual nlohmann::json to_json() const = 0;
  // Family-specific settings that `gptbench info` prints beside the shape (GPT-2: activation_function,
  // layer_norm_epsilon), as config.json names them.
  virtual nlohmann::json details() const = 0;
  virtual std::unique_ptr<ModelConfig> clone() const = 0;

  // The attention variant the checkpoint was trained with (`gptbench train`), read from and written
  // to config.json's {"gptbench": {"variant": "..."}}; empty when not recorded.
  std::string trained_variant;
  // A learned variant's options it was trained with, beside "variant" in the same block (those stated
  // are recorded: attention/learned_options.h); none stated when not recorded (older checkpoints).
  attention::LearnedSpec trained_options;

  // config.json's "gptbench" block, {"variant": ..., "nsa_block": ..., ...}; null when nothing is recorded.
  nlohmann::json gptbench_block() const;
  // Reads config.json's "gptbench" block when it has one (trained_variant, trained_options); gptbench::Error
  // naming `source` and the key for a malformed one.
  void read_gptbench_block(const nlohmann::json& config_json, const std::string& source);

 protected:
  ModelConfig() = default;
  ModelConfig(const ModelConfig&) = default;
  ModelConfig& operator=(const ModelConfig&) = default;
};

}  // namespace gptbench::model
