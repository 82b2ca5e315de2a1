// The `model` block (model_info.h).
#include "gptbench/report/model_info.h"  // this file's declarations

namespace gptbench::report {

nlohmann::json to_json(const ModelInfo& m) {
  nlohmann::json j = {{"config_name", m.config_name}, {"n_layer", m.n_layer},         {"n_head", m.n_head},
                      {"n_embd", m.n_embd},           {"n_positions", m.n_positions}, {"parameters", m.parameters}};
  if (m.family) j["family"] = *m.family;
  if (m.n_kv_head) j["n_kv_head"] = *m.n_kv_head;
  return j;
}

void from_json(const JsonFields& in, ModelInfo& m) {
  m.family = in.optional_string("family");
  m.n_kv_head = in.optional_integer("n_kv_head");
  m.config_name = in.string("config_name");
  m.n_layer = in.integer("n_layer");
  m.n_head = in.integer("n_head");
  m.n_embd = in.integer("n_embd");
  m.n_positions = in.integer("n_positions");
  m.parameters = in.integer("parameters");
}

}  // namespace gptbench::report
