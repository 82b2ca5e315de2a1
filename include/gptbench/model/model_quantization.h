// Weight-only quantization of a whole model (--quant, --quant-group, --quant-lm-head; docs/quantization.md):
// every Projection (projection.h) quantized in place, and what a model holds quantized, for the report.
#pragma once

#include <c10/core/ScalarType.h>  // c10::ScalarType
#include <torch/nn/module.h>      // torch::nn::Module

#include <cstdint>   // int64_t
#include <memory>    // std::shared_ptr
#include <optional>  // std::optional
#include <string>    // std::string
#include <utility>   // std::pair
#include <vector>    // std::vector

#include "gptbench/model/causal_lm.h"     // CausalLm
#include "gptbench/model/projection.h"    // ProjectionImpl
#include "gptbench/quant/quant_format.h"  // QuantSpec

namespace gptbench::model {

inline constexpr const char* kLmHeadModule = "lm_head";  // the lm_head Projection's module name

// --quant, --quant-group, --quant-lm-head, resolved at the edge.
struct QuantRequest {
  bool given = false;                    // --quant appeared; absent: the model as its checkpoint is
  std::optional<quant::QuantSpec> spec;  // the format asked, group resolved; nullopt: none
  bool lm_head = false;                  // --quant-lm-head
};

// What a model holds quantized: the report's quant block.
struct QuantSummary {
  quant::QuantSpec spec;                 // group resolved
  c10::ScalarType scale_dtype = c10::ScalarType::Half;  // int8/int4: the scales'; nf4: fp32, the scales of
                                                        // its 8-bit absmax codes (double quantization)
  std::vector<std::string> layers;       // module names of the quantized projections, e.g. "h.0.attn.c_attn"
  bool lm_head = false;                  // the lm_head is among them
  int64_t bytes_before = 0;              // those weights dense, in their original dtype
  int64_t bytes_after = 0;               // as held: packed values, scales, zero points, absmax tensors
  bool from_checkpoint = false;          // read from a quantized checkpoint, not quantized at load
};

// The projections of `model` by module name ("h.0.attn.c_attn", ..., "lm_head"), in module order.
std::vector<std::pair<std::string, std::shared_ptr<ProjectionImpl>>> named_projections(const torch::nn::Module& model);

// Quantizes every projection of `model` with `spec` (the lm_head only with `lm_head`; a tied one through
// CausalLm::untied_lm_head). Checks every layer first: UsageError naming the layer, its K and
// `group_flag` when K is not a multiple of the group, suggesting the largest group that divides every K.
QuantSummary quantize_model(CausalLm& model, const quant::QuantSpec& spec, bool lm_head,
                            const std::string& group_flag = "--quant-group");

// The quantized projections of `model` summarised; nullopt when none is.
std::optional<QuantSummary> quant_summary(const CausalLm& model);

// Bytes of every weight as held: parameters plus the quantized projections' tensors.
int64_t held_weight_bytes(const CausalLm& model);

}  // namespace gptbench::model
