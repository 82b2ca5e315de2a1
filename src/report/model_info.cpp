// The `model` block (model_info.h).
#include "gptbench/report/model_info.h"  // this file's declarations

#include "gptbench/report/field_list.h"  // write_fields, read_fields

namespace gptbench::report {

constexpr auto kModelFields = [](auto& io, auto& m) {
  io.if_present("family", m.family).if_present("n_kv_head", m.n_kv_head);
  io("config_name", m.config_name)("n_layer", m.n_layer)("n_head", m.n_head)("n_embd", m.n_embd);
  io("n_positions", m.n_positions)("parameters", m.parameters).if_present("tokenizer", m.tokenizer);
};

nlohmann::json to_json(const ModelInfo& m) { return write_fields(m, kModelFields); }

void from_json(const JsonFields& in, ModelInfo& m) { read_fields(in, m, kModelFields); }

}  // namespace gptbench::report
