// The one table from a Llama/Mistral model's parameter names to Hugging Face checkpoint keys. Projections
// that read the same input are fused at load: q/k/v -> self_attn.qkv_proj (q rows, then k, then v) and
// gate/up -> mlp.gate_up_proj (gate rows, then up), so decode runs one GEMV per fused projection; save
// splits them back into HF's keys.
#pragma once

#include <cstdint>  // int64_t
#include <string>   // std::string
#include <string_view>  // std::string_view
#include <vector>   // std::vector

#include "gptbench/model/llama_config.h"  // LlamaConfig

namespace gptbench::model {

struct LlamaWeightPart {
  std::string hf_name;  // e.g. "model.layers.3.self_attn.k_proj.weight"
  int64_t rows;         // its rows (dim 0) inside the fused parameter
};

struct LlamaWeightEntry {
  std::string module_name;            // e.g. "layers.3.self_attn.qkv_proj.weight", as named_parameters() reports it
  std::vector<LlamaWeightPart> parts;  // concatenated along dim 0, in this order (one part: not fused)
};

// Every parameter of a Llama/Mistral of this config, in checkpoint order; lm_head only when untied.
std::vector<LlamaWeightEntry> llama_weight_map(const LlamaConfig& config);

// Checkpoint keys that are not parameters and are ignored on load: the rotary inv_freq buffers older
// transformers versions saved, and lm_head.weight of a tied model.
bool is_ignored_llama_checkpoint_key(std::string_view key, const LlamaConfig& config);

}  // namespace gptbench::model
