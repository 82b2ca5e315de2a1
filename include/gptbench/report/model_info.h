// The `model` block: the shape of the model that ran (run reports; train reports extend it).
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>  // int64_t
#include <string>   // std::string

#include "gptbench/report/json_fields.h"  // JsonFields

namespace gptbench::report {

struct ModelInfo {
  std::string config_name;
  int64_t n_layer = 0, n_head = 0, n_embd = 0, n_positions = 0;
  int64_t parameters = 0;  // lm_head tied to wte, counted once
};

nlohmann::json to_json(const ModelInfo& model);
void from_json(const JsonFields& in, ModelInfo& model);

}  // namespace gptbench::report
