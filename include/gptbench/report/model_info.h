// The `model` block: the shape of the model that ran (run reports; train reports extend it).
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>   // int64_t
#include <optional>  // std::optional
#include <string>    // std::string

#include "gptbench/report/json_fields.h"  // JsonFields

namespace gptbench::report {

struct ModelInfo {
  std::string config_name;
  int64_t n_layer = 0, n_head = 0, n_embd = 0, n_positions = 0;  // n_embd: the hidden size; n_positions: the context
  int64_t parameters = 0;  // a tied lm_head counted once
  // Schema minor 2: the family (config.json's model_type: "gpt2", "llama", "mistral") and key/value heads
  // (n_head unless grouped-query). Absent in older reports, which are all GPT-2.
  std::optional<std::string> family;
  std::optional<int64_t> n_kv_head;
  // Schema minor 3: the family's tokenizer kind ("gpt2-bpe", "sentencepiece").
  std::optional<std::string> tokenizer;
};

nlohmann::json to_json(const ModelInfo& model);
void from_json(const JsonFields& in, ModelInfo& model);

}  // namespace gptbench::report
