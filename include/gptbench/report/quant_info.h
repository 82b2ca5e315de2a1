// The `quant` block of run and perplexity reports: what the model holds quantized (docs/quantization.md).
// Absent when every weight is dense.
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>  // int64_t
#include <string>   // std::string

#include "gptbench/report/json_fields.h"  // JsonFields

namespace gptbench::report {

struct QuantInfo {
  std::string format;       // "int8" | "int4" | "nf4"
  int64_t group = 0;        // int4: elements per scale; nf4: per absmax block; int8: 0 (per output channel)
  bool symmetric = false;   // int4 without zero points
  std::string scale_dtype;  // "fp16" | "bf16"; nf4: "fp32" (the scales of its 8-bit absmax codes)
  std::string source;       // "load" (quantized at load from a dense checkpoint) | "checkpoint" (`gptbench quantize`)
  std::string modules;      // the quantized projections, their block index dropped: "attn.c_attn,attn.c_proj,..."
  int64_t layers = 0;       // how many projections are quantized
  bool lm_head = false;     // the lm_head is among them (--quant-lm-head)
  int64_t weight_bytes_before = 0;  // those weights dense, in their original dtype
  int64_t weight_bytes_after = 0;   // as held: packed values, scales, zero points, absmax tensors
};

nlohmann::json to_json(const QuantInfo& quant);
void from_json(const JsonFields& in, QuantInfo& quant);

}  // namespace gptbench::report
