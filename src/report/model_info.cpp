// The `model` block (model_info.h).
#include "gptbench/report/model_info.h"  // this file's declarations

namespace gptbench::report {

nlohmann::json to_json(const ModelInfo& m) {
  return {{"config_name", m.config_name}, {"n_layer", m.n_layer},         {"n_head", m.n_head},
          {"n_embd", m.n_embd},           {"n_positions", m.n_positions}, {"parameters", m.parameters}};
}

void from_json(const JsonFields& in, ModelInfo& m) {
  m.config_name = in.string("config_name");
  m.n_layer = in.integer("n_layer");
  m.n_head = in.integer("n_head");
  m.n_embd = in.integer("n_embd");
  m.n_positions = in.integer("n_positions");
  m.parameters = in.integer("parameters");
}

}  // namespace gptbench::report
