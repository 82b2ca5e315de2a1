// The family table: config.json's model_type -> how to read its config, build a model for an
// attention spec, map its weights to checkpoint keys, initialise it, and its named shapes. One row per
// family (GPT-2 today; Llama and Mistral register theirs in src/model/model_families.cpp). Loading
// and saving checkpoints (checkpoint.h) and `gptbench init` go through it; nothing else names a family.
#pragma once

#include <c10/core/TensorOptions.h>  // at::TensorOptions
#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>      // uint64_t
#include <filesystem>   // std::filesystem::path
#include <memory>       // std::shared_ptr, std::unique_ptr
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include "gptbench/attention/attention.h"    // AttentionSpec, AttentionImpl
#include "gptbench/model/causal_lm.h"        // CausalLm, ModelConfig
#include "gptbench/model/lora_target.h"      // LoraTarget
#include "gptbench/model/weight_entry.h"     // WeightEntry

namespace gptbench::model {

struct ModelFamily {
  // config.json's "model_type" ("gpt2", "llama", "mistral"); shape().family of its models.
  std::string_view model_type;
  // config.json (a JSON object) -> the family's config, validated: unsupported or broken settings
  // throw gptbench::Error naming `source` (the file) and the key.
  std::unique_ptr<ModelConfig> (*read_config)(const nlohmann::json& config_json, const std::string& source);
  // The named shapes `gptbench init --config NAME` writes ("gpt2", ..., "gpt2-xl").
  std::vector<std::shared_ptr<const ModelConfig>> (*named_configs)();
  // A model of `config` (this family's) for `spec`, weights uninitialised: the embeddings and
  // projections allocated with `weights` (dtype, device), the small rest fp32 on the CPU (the caller's
  // module->to moves it). A null kernel means attention::make_attention(spec) (tests pass the dense
  // reference).
  std::shared_ptr<CausalLm> (*build)(const ModelConfig& config, const attention::AttentionSpec& spec,
                                     std::shared_ptr<attention::AttentionImpl> kernel,
                                     const at::TensorOptions& weights);
  // Every parameter of a model of `config`, in checkpoint order: the family's one weight-name table.
  std::vector<WeightEntry> (*weight_map)(const ModelConfig& config);
  // Written before every key on save, optional on load ("transformer." for GPT2LMHeadModel).
  std::string_view checkpoint_prefix;
  // Checkpoint tensors that are not parameters and are ignored on load (buffers older transformers
  // saved, a tied lm_head). `key` as stored, with or without the prefix.
  bool (*ignored_checkpoint_key)(std::string_view key);
  // The family's initialisation (e.g. GPT-2's normal(0, 0.02)), in weight_map order, reproducible
  // from `seed` on any machine. `model` is on the CPU in fp32.
  void (*init_weights)(CausalLm& model, uint64_t seed);
  // The tokenizer its checkpoints ship, as text::Tokenizer::kind() names it: "gpt2-bpe"
  // (vocab.json + merges.txt) or "sentencepiece" (tokenizer.model; `gptbench init` trains one on the
  // news text when no --tokenizer is given).
  std::string_view tokenizer_kind;
  // The names --lora-targets takes and the PEFT target_modules they mean (model/lora.h): the table
  // beside the family's weight map.
  std::vector<LoraTarget> lora_targets;
};

// Every registered family, GPT-2 first.
const std::vector<ModelFamily>& model_families();

// The family of `model_type`; gptbench::Error naming `source`, the key and the known types otherwise.
const ModelFamily& find_family(const std::string& model_type, const std::string& source);

// The family of a built model (its shape().family).
const ModelFamily& family_of(const CausalLm& model);

// Reads config.json and dispatches on its "model_type" (absent means "gpt2", as in OpenAI's converted
// configs). Errors name the file and the key.
std::unique_ptr<ModelConfig> read_model_config(const std::filesystem::path& config_json);

// A named shape of any family, or a path to a config.json (containing '/' or ending in ".json").
// UsageError naming --config and listing every family's names otherwise.
std::unique_ptr<ModelConfig> resolve_model_config(const std::string& name_or_path);

// A model of `config` for `spec` (its family's build): weights uninitialised, the large ones allocated
// with `weights` (default fp32 CPU; the rest fp32 CPU until module->to).
std::shared_ptr<CausalLm> build_model(const ModelConfig& config, const attention::AttentionSpec& spec,
                                      std::shared_ptr<attention::AttentionImpl> kernel = nullptr,
                                      const at::TensorOptions& weights = {});

// A model of `config` initialised by its family from `seed` (CPU, fp32, standard attention).
std::shared_ptr<CausalLm> init_model(const ModelConfig& config, uint64_t seed);

// The same weights (copied) under another attention spec, on `model`'s device in its dtype, in eval
// mode. A null kernel means attention::make_attention(spec).
std::shared_ptr<CausalLm> with_attention(const CausalLm& model, const attention::AttentionSpec& spec,
                                         std::shared_ptr<attention::AttentionImpl> kernel = nullptr);

// The family's config type behind `config`; gptbench::Error naming both families when it is another's.
[[noreturn]] void throw_wrong_family(const ModelConfig& config, std::string_view family);
template <typename FamilyConfig>
const FamilyConfig& config_as(const ModelConfig& config, std::string_view family) {
  const auto* c = dynamic_cast<const FamilyConfig*>(&config);
  if (c == nullptr) throw_wrong_family(config, family);
  return *c;
}

}  // namespace gptbench::model
