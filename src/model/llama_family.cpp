// The Llama and Mistral rows of the family table (llama_family.h): config.json, named shapes, building,
// the weight table and transformers' initialisation.
#include "gptbench/model/llama_family.h"

#include <ATen/CPUGeneratorImpl.h>  // at::CPUGeneratorImpl, at::make_generator
#include <c10/core/GradMode.h>      // c10::AutoGradMode

#include <iterator>       // std::begin, std::end
#include <unordered_map>  // std::unordered_map

#include "gptbench/model/llama_config.h"      // LlamaConfig, llama_config_from_json, named_llama_configs
#include "gptbench/model/llama_model.h"       // LlamaModel
#include "gptbench/model/llama_weight_map.h"  // llama_weight_map, is_ignored_llama_checkpoint_key, kLlamaLoraTargets

namespace gptbench::model {
namespace {

constexpr const char* kLlamaFamilies = "llama or mistral";  // config_as's name for either row

std::unique_ptr<ModelConfig> read_llama_config(const nlohmann::json& j, const std::string& source) {
  return std::make_unique<LlamaConfig>(llama_config_from_json(j, source));
}

template <const char* kModelType>
std::vector<std::shared_ptr<const ModelConfig>> named_of_type() {
  std::vector<std::shared_ptr<const ModelConfig>> out;
  for (const LlamaConfig& c : named_llama_configs())
    if (c.model_type == kModelType) out.push_back(std::make_shared<LlamaConfig>(c));
  return out;
}

std::shared_ptr<CausalLm> build_llama(const ModelConfig& config, const attention::AttentionSpec& spec,
                                      std::shared_ptr<attention::AttentionImpl> kernel,
                                      const at::TensorOptions& weights) {
  const LlamaConfig& c = config_as<LlamaConfig>(config, kLlamaFamilies);
  if (!kernel) return LlamaModel(c, spec, weights).ptr();  // Mistral's window joins the spec (llama_attention_spec)
  return LlamaModel(c, spec, std::move(kernel), weights).ptr();
}

std::vector<WeightEntry> llama_weights(const ModelConfig& config) {
  return llama_weight_map(config_as<LlamaConfig>(config, kLlamaFamilies));
}

// transformers' LlamaPreTrainedModel._init_weights: every matrix ~ normal(0, initializer_range 0.02),
// RMSNorm weights 1; in weight-map order (a fused parameter as a whole, once), reproducible from the seed.
void init_llama_weights(CausalLm& model, uint64_t seed) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  c10::AutoGradMode no_grad(false);
  std::unordered_map<std::string, at::Tensor> params;
  for (const auto& item : model.named_parameters(/*recurse=*/true)) params.emplace(item.key(), item.value());
  for (const WeightEntry& e : llama_weights(model.config())) {
    if (e.row0 > 0) continue;  // the later parts of a fused parameter: initialised with its first
    at::Tensor p = params.at(e.module_name).detach();
    if (p.dim() == 1) {
      p.fill_(1.0);
    } else {
      p.normal_(0.0, 0.02, gen);
    }
  }
}

constexpr char kLlama[] = "llama";
constexpr char kMistral[] = "mistral";

}  // namespace

ModelFamily llama_family() {
  return {kLlama,         read_llama_config, named_of_type<kLlama>,           build_llama,
          llama_weights,  "",                is_ignored_llama_checkpoint_key, init_llama_weights,
          "sentencepiece", {std::begin(kLlamaLoraTargets), std::end(kLlamaLoraTargets)}};
}

ModelFamily mistral_family() {
  return {kMistral,       read_llama_config, named_of_type<kMistral>,         build_llama,
          llama_weights,  "",                is_ignored_llama_checkpoint_key, init_llama_weights,
          "sentencepiece", {std::begin(kLlamaLoraTargets), std::end(kLlamaLoraTargets)}};
}

}  // namespace gptbench::model
