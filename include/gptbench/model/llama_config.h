// Llama/Mistral hyper-parameters: the named shape table and Hugging Face config.json reading/writing
// (model_type "llama" or "mistral"). Settings gptbench does not implement are refused, naming the file and key.
#pragma once

#include <cstdint>     // int64_t
#include <filesystem>  // std::filesystem::path
#include <memory>      // std::unique_ptr
#include <string>      // std::string
#include <vector>      // std::vector

#include <nlohmann/json.hpp>  // nlohmann::json

#include "gptbench/model/model_config.h"  // ModelConfig, ModelShape

namespace gptbench::model {

// rope_scaling / rope_parameters "rope_type": the ones whose inverse frequencies transformers computes once
// (default, linear, llama3). dynamic (NTK), yarn and longrope are refused.
enum class RopeType { kDefault, kLinear, kLlama3 };

struct RopeScaling {
  RopeType type = RopeType::kDefault;
  double factor = 1.0;                           // linear, llama3
  double low_freq_factor = 1.0;                  // llama3
  double high_freq_factor = 4.0;                 // llama3
  int64_t original_max_position_embeddings = 0;  // llama3 (0: max_position_embeddings)
};

// The Llama and Mistral families' ModelConfig (one config type, two model_type values).
struct LlamaConfig final : ModelConfig {
  std::string name = "custom";       // table name, or "custom"
  std::string model_type = "llama";  // "llama" or "mistral"
  int64_t hidden_size = 4096;
  int64_t intermediate_size = 11008;
  int64_t num_hidden_layers = 32;
  int64_t num_attention_heads = 32;
  int64_t num_key_value_heads = 32;
  int64_t head_dim_value = 0;  // "head_dim" when config.json has it; 0 means hidden_size / heads
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  int64_t max_position_embeddings = 2048;
  int64_t vocab_size = 32000;
  bool tie_word_embeddings = false;
  int64_t bos_token_id = 1;
  int64_t eos_token_id = 2;
  int64_t sliding_window = 0;  // Mistral: 0 (null) or W: a query sees itself and the W-1 keys before it

  int64_t head_dim() const { return head_dim_value > 0 ? head_dim_value : hidden_size / num_attention_heads; }
  int64_t q_width() const { return num_attention_heads * head_dim(); }
  int64_t kv_width() const { return num_key_value_heads * head_dim(); }
  int64_t parameter_count() const;  // lm_head counted once when tied

  ModelShape shape() const override;
  nlohmann::json to_json() const override;  // llama_config_to_json
  nlohmann::json details() const override;  // rms_norm_eps, rope_theta, rope_scaling, sliding_window
  std::unique_ptr<ModelConfig> clone() const override { return std::make_unique<LlamaConfig>(*this); }
};

// The named shapes: llama-tiny, mistral-tiny (tests: few layers, GQA), tinyllama-1.1b, llama-2-7b, mistral-7b.
const std::vector<LlamaConfig>& named_llama_configs();
// A table name, or nullptr.
const LlamaConfig* find_named_llama_config(const std::string& name);

// True when a parsed config.json names model_type "llama" or "mistral".
bool is_llama_family(const nlohmann::json& j);

LlamaConfig read_llama_config_json(const std::filesystem::path& path);
LlamaConfig llama_config_from_json(const nlohmann::json& j, const std::string& source);
// The config.json transformers' LlamaConfig / MistralConfig writes for these values (v5 "rope_parameters").
nlohmann::json llama_config_to_json(const LlamaConfig& config);

}  // namespace gptbench::model
