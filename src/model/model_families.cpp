// The family table and what goes through it (model_family.h).
#include "gptbench/model/model_family.h"

#include <fmt/format.h>         // fmt::format

#include "gptbench/io/json_input.h"       // read_json_file, json_excerpt
#include "gptbench/model/checkpoint.h"   // copy_parameters
#include "gptbench/model/gpt2_family.h"   // gpt2_family
#include "gptbench/model/llama_family.h"  // llama_family, mistral_family
#include "gptbench/util/check.h"          // GPTBENCH_CHECK
#include "gptbench/util/error.h"          // Error, UsageError

namespace gptbench::model {
namespace {

std::string known_model_types() {
  std::string names;
  for (const ModelFamily& f : model_families()) names += fmt::format("{}\"{}\"", names.empty() ? "" : ", ", f.model_type);
  return names;
}

}  // namespace

const std::vector<ModelFamily>& model_families() {
  static const std::vector<ModelFamily> table = {
      gpt2_family(),
      llama_family(),
      mistral_family(),
  };
  return table;
}

const ModelFamily& find_family(const std::string& model_type, const std::string& source) {
  for (const ModelFamily& f : model_families())
    if (f.model_type == model_type) return f;
  throw Error(fmt::format("{}: \"model_type\": \"{}\" is not supported (known: {})", source, model_type,
                          known_model_types()));
}

const ModelFamily& family_of(const CausalLm& model) { return find_family(model.shape().family, "model"); }

std::unique_ptr<ModelConfig> read_model_config(const std::filesystem::path& config_json) {
  const std::string source = config_json.string();
  const nlohmann::json j = io::read_json_file(config_json);
  GPTBENCH_CHECK(j.is_object(), "{}: not a JSON object", source);
  std::string model_type = "gpt2";  // OpenAI's converted configs may lack the key
  if (j.contains("model_type")) {
    GPTBENCH_CHECK(j.at("model_type").is_string(), "{}: \"model_type\" must be a string, got {}", source,
                   io::json_excerpt(j.at("model_type")));
    model_type = j.at("model_type").get<std::string>();
  }
  return find_family(model_type, source).read_config(j, source);
}

std::unique_ptr<ModelConfig> resolve_model_config(const std::string& name_or_path) {
  std::string names;
  for (const ModelFamily& f : model_families()) {
    for (const auto& c : f.named_configs()) {
      const std::string name = c->shape().name;
      if (name == name_or_path) return c->clone();
      names += (names.empty() ? "" : ", ") + name;
    }
  }
  const bool json_suffix = name_or_path.size() > 5 && name_or_path.compare(name_or_path.size() - 5, 5, ".json") == 0;
  if (name_or_path.find('/') != std::string::npos || json_suffix) return read_model_config(name_or_path);
  throw UsageError(fmt::format("--config: unknown config name \"{}\" (known: {}; or a path to a config.json)",
                               name_or_path, names));
}

std::shared_ptr<CausalLm> build_model(const ModelConfig& config, const attention::AttentionSpec& spec,
                                      std::shared_ptr<attention::AttentionImpl> kernel,
                                      const at::TensorOptions& weights) {
  return find_family(config.shape().family, "config").build(config, spec, std::move(kernel), weights);
}

std::shared_ptr<CausalLm> init_model(const ModelConfig& config, uint64_t seed) {
  std::shared_ptr<CausalLm> model = build_model(config, attention::AttentionSpec{});
  family_of(*model).init_weights(*model, seed);
  return model;
}

std::shared_ptr<CausalLm> with_attention(const CausalLm& model, const attention::AttentionSpec& spec,
                                         std::shared_ptr<attention::AttentionImpl> kernel) {
  std::shared_ptr<CausalLm> other = build_model(model.config(), spec, std::move(kernel));
  other->to(model.device(), model.dtype());
  copy_parameters(model, *other);
  other->eval();
  return other;
}

void throw_wrong_family(const ModelConfig& config, std::string_view family) {
  throw Error(fmt::format("a {} config where a {} config was expected", config.shape().family, family));
}

}  // namespace gptbench::model
