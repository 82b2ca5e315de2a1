// The `adapter` block of run and perplexity reports: the LoRA adapter loaded with --adapter (model/lora.h,
// docs/result-schema.md). Absent without --adapter.
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>  // int64_t
#include <string>   // std::string

#include "gptbench/report/json_fields.h"  // JsonFields

namespace gptbench::report {

struct AdapterInfo {
  std::string dir;          // --adapter DIR
  bool merged = false;      // true: scaling * B * A added to the weights at load; false: --adapter-unmerged
  int64_t rank = 0;         // adapter_config.json's r
  double alpha = 0;         // its lora_alpha (scaling = alpha / rank)
  std::string targets;      // its target_modules, comma-joined
  int64_t sites = 0;        // adapted modules (one per HF module: a fused qkv_proj counts q, k and v)
  int64_t parameters = 0;   // elements of every A and B
};

nlohmann::json to_json(const AdapterInfo& adapter);
void from_json(const JsonFields& in, AdapterInfo& adapter);

}  // namespace gptbench::report
