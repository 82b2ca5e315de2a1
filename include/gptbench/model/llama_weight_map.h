// The one table from a Llama/Mistral model's parameter names to Hugging Face checkpoint keys. Projections
// that read the same input are fused at load: q/k/v -> self_attn.qkv_proj (q rows, then k, then v) and
// gate/up -> mlp.gate_up_proj (gate rows, then up), so decode runs one GEMV per fused projection; each HF
// key is a row range of the fused parameter (WeightEntry::row0, rows), so save writes HF's keys back.
#pragma once

#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include "gptbench/model/llama_config.h"  // LlamaConfig
#include "gptbench/model/lora_target.h"   // LoraTarget, LoraTargetUse
#include "gptbench/model/weight_entry.h"  // WeightEntry

namespace gptbench::model {

// Llama/Mistral's LoRA targets (model/lora.h): the HF modules; q/k/v and gate/up are row ranges of our
// fused qkv_proj and gate_up_proj, each with its own adapter pair.
inline constexpr LoraTarget kLlamaLoraTargets[] = {
    {"q_proj", "q_proj", LoraTargetUse::kDefault},       {"k_proj", "k_proj", LoraTargetUse::kDefault},
    {"v_proj", "v_proj", LoraTargetUse::kDefault},       {"o_proj", "o_proj", LoraTargetUse::kDefault},
    {"gate_proj", "gate_proj", LoraTargetUse::kDefault}, {"up_proj", "up_proj", LoraTargetUse::kDefault},
    {"down_proj", "down_proj", LoraTargetUse::kDefault}};

// Every checkpoint tensor of a Llama/Mistral of this config, in checkpoint order; lm_head only when untied.
std::vector<WeightEntry> llama_weight_map(const LlamaConfig& config);

// Checkpoint keys that are not parameters and are ignored on load: the rotary inv_freq buffers older
// transformers versions saved, and lm_head.weight (expected, so matched first, when the head is untied).
bool is_ignored_llama_checkpoint_key(std::string_view key);

}  // namespace gptbench::model
