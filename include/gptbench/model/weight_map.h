// The one table from our module parameter names to Hugging Face GPT-2 checkpoint keys.
#pragma once

#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include "gptbench/model/gpt2_config.h"   // Gpt2Config
#include "gptbench/model/lora_target.h"   // LoraTarget, LoraTargetUse
#include "gptbench/model/weight_entry.h"  // WeightEntry, WeightLayout

namespace gptbench::model {

// GPT-2's LoRA targets (model/lora.h): PEFT's names of its Conv1D layers (target "c_proj" matches
// both attn.c_proj and mlp.c_proj, as in PEFT), and the names of issue 18 as unambiguous aliases.
inline constexpr LoraTarget kGpt2LoraTargets[] = {
    {"c_attn", "c_attn", LoraTargetUse::kDefault},   {"c_proj", "c_proj", LoraTargetUse::kDefault},
    {"c_fc", "c_fc", LoraTargetUse::kDefault},       {"qkv", "attn.c_attn", LoraTargetUse::kAlias},
    {"proj", "attn.c_proj", LoraTargetUse::kAlias},  {"fc", "mlp.c_fc", LoraTargetUse::kAlias},
    {"fc_proj", "mlp.c_proj", LoraTargetUse::kAlias}};

// Every parameter of a GPT-2 of this config, in checkpoint order.
std::vector<WeightEntry> gpt2_weight_map(const Gpt2Config& config);

// The prefix GPT2LMHeadModel puts before the transformer's keys; loaders accept keys with or without it.
inline constexpr std::string_view kHfPrefix = "transformer.";

// Checkpoint keys that are not parameters and are ignored on load: the causal-mask buffers older
// transformers versions saved (h.N.attn.bias, h.N.attn.masked_bias) and the tied lm_head.weight.
bool is_ignored_checkpoint_key(std::string_view key);

}  // namespace gptbench::model
