// One row of a family's table of LoRA targets (kGpt2LoraTargets, kLlamaLoraTargets): a name that
// --lora-targets accepts and the PEFT target_modules entry it stands for.
#pragma once

#include <string_view>  // std::string_view

namespace gptbench::model {

// kDefault: adapted when --lora-targets is not given (PEFT's own module names); kAlias: another name
// for a PEFT target (GPT-2's qkv -> attn.c_attn), accepted but never a default.
enum class LoraTargetUse { kDefault, kAlias };

struct LoraTarget {
  std::string_view name;  // as --lora-targets takes it
  std::string_view peft;  // PEFT's target_modules entry (a module name or a "."-suffix of one)
  LoraTargetUse use;
};

}  // namespace gptbench::model
