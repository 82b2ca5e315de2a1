// LoRA (Hu et al. 2021) adapters on a model's projections, in PEFT's format, so that
// peft.PeftModel.from_pretrained loads what `gptbench train --lora-rank` saves and `--adapter` loads
// what PEFT saves. A site is one Hugging Face module (GPT-2's c_attn, Llama's q_proj, ...); our fused
// projections (Llama's qkv_proj, gate_up_proj) carry one adapter pair per HF module on its row range:
//   out[rows of the site] += scaling · B · A · dropout(x)      A (r, in), B (rows, r), scaling = alpha / r
// added by the projection before its activation and residual (model::ProjectionAdapter). The sites are
// derived from the family's weight map (the HF module of each weight) and its table of LoRA targets
// (kGpt2LoraTargets beside the GPT-2 weight map, kLlamaLoraTargets beside Llama's), matched as PEFT
// matches target_modules: the module's name equals the target or ends with "." + target.
// Files: adapter_config.json (peft_type LORA, r, lora_alpha, lora_dropout, target_modules,
// fan_in_fan_out: true for GPT-2's Conv1D layers, bias none, task_type CAUSAL_LM) and
// adapter_model.safetensors with keys "base_model.model.<prefix><hf module>.lora_A.weight" (r, in) and
// ".lora_B.weight" (rows, r), fp32.
#pragma once

#include <cstdint>     // int64_t, uint64_t
#include <filesystem>  // std::filesystem::path
#include <utility>     // std::pair
#include <string>      // std::string
#include <vector>      // std::vector

#include <ATen/core/Tensor.h>  // at::Tensor

#include "gptbench/model/causal_lm.h"  // CausalLm

namespace gptbench::model {

struct LoraSettings {
  int64_t rank = 8;
  double alpha = 16;    // scaling = alpha / rank
  double dropout = 0;   // on the adapter's input, in training only
  std::vector<std::string> targets;  // PEFT target_modules; empty: every target of the family
  double scaling() const { return alpha / static_cast<double>(rank); }
};

// One adapted Hugging Face module: rows [row0, row0 + rows) of one of our projections.
struct LoraSite {
  std::string projection;  // our module, e.g. "layers.0.self_attn.qkv_proj"
  std::string hf_module;   // the checkpoint's module, prefix included: "model.layers.0.self_attn.q_proj"
  std::string name;        // its last component, the adapter pair's name: "q_proj"
  int64_t row0 = 0, rows = 0, in = 0;
};

// The family's target names (kGpt2LoraTargets, kLlamaLoraTargets; ModelFamily::lora_targets).
std::vector<std::string> lora_family_targets(const CausalLm& model);

// `targets` as PEFT's target_modules: the family's aliases replaced by what they stand for, other
// names kept; empty: the family's default targets.
std::vector<std::string> lora_peft_targets(const CausalLm& model, const std::vector<std::string>& targets);

// The sites `targets` select (empty: all the family's). UsageError naming `flag` and the family's
// targets when a target matches no module.
std::vector<LoraSite> lora_sites(const CausalLm& model, const std::vector<std::string>& targets,
                                 const std::string& flag);

// Attaches fresh adapters: A Kaiming-uniform (a = sqrt(5), nn.Linear's and PEFT's: U(-1/sqrt(in),
// 1/sqrt(in))) from a CPU generator seeded with `seed`, B zero; on the model's device, fp32.
void attach_lora(CausalLm& model, const LoraSettings& settings, uint64_t seed);

// The adapter parameters of a model (named as named_parameters() names them), in site order.
std::vector<std::pair<std::string, at::Tensor>> lora_parameters(const CausalLm& model);

// The adapter parameters' element count.
int64_t lora_parameter_count(const CausalLm& model);

// Writes DIR/adapter_config.json and DIR/adapter_model.safetensors (fp32) atomically, the folder
// created if needed. Returns the bytes of adapter_model.safetensors.
int64_t save_lora(const CausalLm& model, const LoraSettings& settings, const std::filesystem::path& dir,
                  const std::string& base_model);

// How load_lora applies an adapter (a named enum, not a bool: "merge" reads both ways at a call site).
enum class LoraApply { kMerge, kUnmerged };

struct LoadedLora {
  LoraSettings settings;  // r, lora_alpha, lora_dropout and target_modules as the config gives them
  bool merged = false;
  int64_t sites = 0, parameters = 0;
};

// Reads DIR (adapter_config.json + adapter_model.safetensors; PEFT's or ours) and either merges
// scaling · B · A into the weights (kMerge, in fp32, then rounded to the weight's dtype) or attaches
// the adapters (kUnmerged, in the model's dtype, trainable). The sites come from the tensor names, so
// any target_modules pattern PEFT wrote loads. gptbench::Error naming the file and key for anything
// missing, mis-shaped, unknown or unsupported (DoRA, rsLoRA, rank/alpha patterns, biases,
// modules_to_save, another peft_type); UsageError for kMerge into a quantized weight.
LoadedLora load_lora(CausalLm& model, const std::filesystem::path& dir, LoraApply apply);

}  // namespace gptbench::model
