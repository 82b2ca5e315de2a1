// GPT-2's row of the family table (gpt2_family.h): config.json, named shapes, building, the weight
// table and GPT-2's initialisation.
#include "gptbench/model/gpt2_family.h"

#include <ATen/CPUGeneratorImpl.h>  // at::CPUGeneratorImpl, at::make_generator
#include <c10/core/GradMode.h>      // c10::AutoGradMode

#include <cmath>          // std::sqrt
#include <iterator>       // std::begin, std::end
#include <unordered_map>  // std::unordered_map

#include "gptbench/model/gpt2_config.h"  // Gpt2Config, config_from_json, named_configs
#include "gptbench/model/gpt2_model.h"   // Gpt2Model
#include "gptbench/model/weight_map.h"   // gpt2_weight_map, kHfPrefix, is_ignored_checkpoint_key, kGpt2LoraTargets

namespace gptbench::model {
namespace {

std::unique_ptr<ModelConfig> read_gpt2_config(const nlohmann::json& j, const std::string& source) {
  return std::make_unique<Gpt2Config>(config_from_json(j, source));
}

std::vector<std::shared_ptr<const ModelConfig>> gpt2_named_configs() {
  std::vector<std::shared_ptr<const ModelConfig>> out;
  for (const Gpt2Config& c : named_configs()) out.push_back(std::make_shared<Gpt2Config>(c));
  return out;
}

std::shared_ptr<CausalLm> build_gpt2(const ModelConfig& config, const attention::AttentionSpec& spec,
                                     std::shared_ptr<attention::AttentionImpl> kernel,
                                     const at::TensorOptions& weights) {
  const Gpt2Config& c = config_as<Gpt2Config>(config, kGpt2ModelType);
  if (!kernel) return Gpt2Model(c, spec, weights).ptr();
  return Gpt2Model(c, spec, std::move(kernel), weights).ptr();
}

std::vector<WeightEntry> gpt2_weights(const ModelConfig& config) {
  return gpt2_weight_map(config_as<Gpt2Config>(config, kGpt2ModelType));
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// GPT-2's initialisation: every weight ~ normal(0, 0.02), the residual projections (attn.c_proj,
// mlp.c_proj) ~ normal(0, 0.02 / sqrt(2 * n_layer)), biases 0, LayerNorm weight 1.
void init_gpt2_weights(CausalLm& model, uint64_t seed) {
  const Gpt2Config& config = config_as<Gpt2Config>(model.config(), kGpt2ModelType);
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const double std_dev = 0.02;
  const double residual_std = std_dev / std::sqrt(2.0 * static_cast<double>(config.n_layer));
  c10::AutoGradMode no_grad(false);
  std::unordered_map<std::string, at::Tensor> params;
  for (const auto& item : model.named_parameters(/*recurse=*/true)) params.emplace(item.key(), item.value());
  for (const auto& e : gpt2_weight_map(config)) {  // fixed order: reproducible from the seed
    if (e.variant_parameter) continue;  // its module's own initialisation
    at::Tensor p = params.at(e.module_name).detach();
    const std::string& n = e.module_name;
    if (ends_with(n, ".bias")) {
      p.zero_();
    } else if (n.find("ln_") != std::string::npos) {
      p.fill_(1.0);
    } else if (ends_with(n, "c_proj.weight")) {
      p.normal_(0.0, residual_std, gen);
    } else {
      p.normal_(0.0, std_dev, gen);
    }
  }
}

}  // namespace

ModelFamily gpt2_family() {
  return {kGpt2ModelType, read_gpt2_config,   gpt2_named_configs,        build_gpt2,
          gpt2_weights,   kHfPrefix,          is_ignored_checkpoint_key, init_gpt2_weights,
          "gpt2-bpe",     {std::begin(kGpt2LoraTargets), std::end(kGpt2LoraTargets)}};
}

}  // namespace gptbench::model
