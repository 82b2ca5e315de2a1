// config.json's "gptbench" block, shared by every family's config: the trained variant and its options.
#include "gptbench/model/model_config.h"

#include "gptbench/attention/learned_options.h"  // learned_options_to_json, learned_options_from_json
#include "gptbench/util/check.h"                 // GPTBENCH_CHECK

namespace gptbench::model {

nlohmann::json ModelConfig::gptbench_block() const {
  nlohmann::json block = attention::learned_options_to_json(trained_options);
  if (!trained_variant.empty()) block["variant"] = trained_variant;
  return block.empty() ? nlohmann::json() : block;
}

void ModelConfig::read_gptbench_block(const nlohmann::json& config_json, const std::string& source) {
  if (!config_json.contains("gptbench")) return;
  const nlohmann::json& g = config_json.at("gptbench");
  GPTBENCH_CHECK(g.is_object() && (!g.contains("variant") || g.at("variant").is_string()),
                 "{}: \"gptbench\" must be an object whose \"variant\" is a string", source);
  if (g.contains("variant")) trained_variant = g.at("variant").get<std::string>();
  trained_options = attention::learned_options_from_json(g, source);
}

}  // namespace gptbench::model
