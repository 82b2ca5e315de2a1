// GPT-2 hyper-parameters (the GPT-2 family's ModelConfig): the named shape table and Hugging Face
// config.json reading/writing.
#pragma once

#include <cstdint>     // int64_t
#include <filesystem>  // std::filesystem::path
#include <memory>      // std::unique_ptr
#include <string>      // std::string
#include <vector>      // std::vector

#include <nlohmann/json.hpp>  // nlohmann::json

#include "gptbench/model/model_config.h"  // ModelConfig, ModelShape

namespace gptbench::model {

enum class Activation { kGeluTanh, kGeluErf };  // HF "gelu_new"/"gelu_pytorch_tanh"/"gelu_fast", and "gelu"

struct Gpt2Config final : ModelConfig {
  std::string name = "custom";  // table name, or "custom" for a config.json that matches none
  int64_t n_layer = 12;
  int64_t n_head = 12;
  int64_t n_embd = 768;
  int64_t n_inner = 0;  // MLP width; 0 means 4 * n_embd
  int64_t n_positions = 1024;
  int64_t vocab_size = 50257;
  double layer_norm_epsilon = 1e-5;
  Activation activation = Activation::kGeluTanh;
  std::string activation_name = "gelu_new";  // as written in config.json
  int64_t eos_token_id = 50256;
  // trained_variant (ModelConfig): empty for OpenAI's GPT-2.

  int64_t head_dim() const { return n_embd / n_head; }
  int64_t mlp_width() const { return n_inner > 0 ? n_inner : 4 * n_embd; }
  int64_t parameter_count() const;  // with the tied lm_head counted once

  ModelShape shape() const override;
  nlohmann::json to_json() const override;         // config_to_json
  nlohmann::json details() const override;         // activation_function, layer_norm_epsilon
  std::unique_ptr<ModelConfig> clone() const override;
};

inline constexpr const char* kGpt2ModelType = "gpt2";  // config.json's model_type

// The named GPT-2 shapes: gpt2, distilgpt2, gpt2-medium, gpt2-large, gpt2-xl.
const std::vector<Gpt2Config>& named_configs();

// Reads and validates a Hugging Face GPT-2 config.json; unsupported settings are refused
// with an error naming the file and the key.
Gpt2Config read_config_json(const std::filesystem::path& path);
Gpt2Config config_from_json(const nlohmann::json& j, const std::string& source);
// The config.json that transformers' GPT2Config writes for these values.
nlohmann::json config_to_json(const Gpt2Config& config);

}  // namespace gptbench::model
