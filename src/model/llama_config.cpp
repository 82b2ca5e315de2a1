// Llama/Mistral config table and config.json validation.
#include "gptbench/model/llama_config.h"

#include <fmt/format.h>  // fmt::format

#include <cmath>  // std::isfinite

#include "gptbench/io/json_input.h"    // read_json_file, json_excerpt
#include "gptbench/io/json_integer.h"  // json_integer
#include "gptbench/util/check.h"       // GPTBENCH_CHECK
#include "gptbench/util/error.h"       // Error

namespace gptbench::model {
namespace {

// Upper bounds on the size-like keys: far above any released Llama/Mistral (405B: 126 layers, 16384
// wide, 53248 MLP, 128256 tokens, 131072 positions), low enough that every tensor size stays inside
// int64 and a hostile config.json is refused instead of exhausting memory.
constexpr int64_t kMaxLayers = 1024;
constexpr int64_t kMaxWidth = 65536;  // hidden_size, heads, head_dim
constexpr int64_t kMaxMlpWidth = 4 * kMaxWidth;
constexpr int64_t kMaxPositions = int64_t{1} << 24;
constexpr int64_t kMaxVocab = int64_t{1} << 24;

struct Shape {
  const char* name;
  const char* model_type;
  int64_t hidden, mlp, layers, heads, kv_heads, vocab, positions, window;
  double rms_eps;
  bool tied;
};

LlamaConfig from_shape(const Shape& s) {
  LlamaConfig c;
  c.name = s.name;
  c.model_type = s.model_type;
  c.hidden_size = s.hidden;
  c.intermediate_size = s.mlp;
  c.num_hidden_layers = s.layers;
  c.num_attention_heads = s.heads;
  c.num_key_value_heads = s.kv_heads;
  c.vocab_size = s.vocab;
  c.max_position_embeddings = s.positions;
  c.sliding_window = s.window;
  c.rms_norm_eps = s.rms_eps;
  c.tie_word_embeddings = s.tied;
  return c;
}

std::string key_name(const std::string& source, const std::string& key) { return fmt::format("{}: \"{}\"", source, key); }

bool has_value(const nlohmann::json& j, const char* key) { return j.contains(key) && !j.at(key).is_null(); }

int64_t get_int(const nlohmann::json& j, const char* key, int64_t min, int64_t max, const std::string& source) {
  GPTBENCH_CHECK(j.contains(key), "{}: missing key \"{}\"", source, key);
  return io::json_integer<int64_t>(j.at(key), key_name(source, key), min, max);
}

double get_positive_double(const nlohmann::json& j, const char* key, const std::string& source) {
  const nlohmann::json& v = j.at(key);
  GPTBENCH_CHECK(v.is_number() && std::isfinite(v.get<double>()) && v.get<double>() > 0,
                 "{} must be a positive number, got {}", key_name(source, key), io::json_excerpt(v));
  return v.get<double>();
}

bool get_bool(const nlohmann::json& j, const char* key, bool fallback, const std::string& source) {
  if (!has_value(j, key)) return fallback;
  GPTBENCH_CHECK(j.at(key).is_boolean(), "{} must be true or false, got {}", key_name(source, key),
                 io::json_excerpt(j.at(key)));
  return j.at(key).get<bool>();
}

// bos/eos ids: an integer, a list of integers (Llama 3 lists several EOS ids: the first is used) or null.
int64_t get_token_id(const nlohmann::json& j, const char* key, int64_t fallback, const std::string& source) {
  if (!has_value(j, key)) return fallback;
  const nlohmann::json& v = j.at(key);
  const nlohmann::json& first = v.is_array() && !v.empty() ? v.at(0) : v;
  return io::json_integer<int64_t>(first, key_name(source, key), 0, kMaxVocab - 1);
}

// "rope_parameters" (transformers 5) or "rope_theta" + "rope_scaling" (transformers 4, released checkpoints).
void read_rope(const nlohmann::json& j, LlamaConfig& c, const std::string& source) {
  const char* dict_key = has_value(j, "rope_parameters") ? "rope_parameters" : "rope_scaling";
  if (has_value(j, "rope_theta")) c.rope_theta = get_positive_double(j, "rope_theta", source);
  if (!has_value(j, dict_key)) return;
  const nlohmann::json& r = j.at(dict_key);
  const std::string where = fmt::format("{}: \"{}\"", source, dict_key);
  GPTBENCH_CHECK(r.is_object(), "{} must be an object or null, got {}", where, io::json_excerpt(r));
  if (has_value(r, "rope_theta")) c.rope_theta = get_positive_double(r, "rope_theta", where);
  const char* type_key = r.contains("rope_type") ? "rope_type" : "type";
  std::string type = "default";
  if (has_value(r, type_key)) {
    GPTBENCH_CHECK(r.at(type_key).is_string(), "{}.{} must be a string", where, type_key);
    type = r.at(type_key).get<std::string>();
  }
  if (has_value(r, "partial_rotary_factor")) {
    GPTBENCH_CHECK(r.at("partial_rotary_factor") == 1 || r.at("partial_rotary_factor") == 1.0,
                   "{}.partial_rotary_factor {} is not supported (only 1.0)", where,
                   io::json_excerpt(r.at("partial_rotary_factor")));
  }
  RopeScaling& s = c.rope_scaling;
  if (type == "default") {
    s.type = RopeType::kDefault;
  } else if (type == "linear") {
    s.type = RopeType::kLinear;
    GPTBENCH_CHECK(r.contains("factor"), "{}: missing key \"factor\" for rope_type linear", where);
    s.factor = get_positive_double(r, "factor", where);
  } else if (type == "llama3") {
    s.type = RopeType::kLlama3;
    for (const char* key : {"factor", "low_freq_factor", "high_freq_factor"})
      GPTBENCH_CHECK(r.contains(key), "{}: missing key \"{}\" for rope_type llama3", where, key);
    s.factor = get_positive_double(r, "factor", where);
    s.low_freq_factor = get_positive_double(r, "low_freq_factor", where);
    s.high_freq_factor = get_positive_double(r, "high_freq_factor", where);
    GPTBENCH_CHECK(s.high_freq_factor > s.low_freq_factor, "{}: high_freq_factor must exceed low_freq_factor",
                   where);
    s.original_max_position_embeddings =
        has_value(r, "original_max_position_embeddings")
            ? get_int(r, "original_max_position_embeddings", 1, kMaxPositions, where)
            : c.max_position_embeddings;
  } else {
    throw Error(fmt::format("{}: rope_type \"{}\" is not supported (default, linear, llama3)", where, type));
  }
}

}  // namespace

int64_t LlamaConfig::parameter_count() const {
  const int64_t c = hidden_size, f = intermediate_size;
  const int64_t per_layer = 2 * c                        // input_layernorm, post_attention_layernorm
                            + c * (q_width() + 2 * kv_width())  // q, k, v
                            + q_width() * c                // o_proj
                            + 3 * c * f;                   // gate, up, down
  const int64_t embeddings = vocab_size * c * (tie_word_embeddings ? 1 : 2);
  return embeddings + num_hidden_layers * per_layer + c;
}

ModelShape LlamaConfig::shape() const {
  ModelShape s;
  s.family = model_type;
  s.name = name;
  s.n_layer = num_hidden_layers;
  s.n_head = num_attention_heads;
  s.n_kv_head = num_key_value_heads;
  s.head_dim = head_dim();
  s.hidden_size = hidden_size;
  s.mlp_width = intermediate_size;
  s.vocab_size = vocab_size;
  s.max_positions = max_position_embeddings;
  s.max_positions_key = "max_position_embeddings";
  s.position_table = false;
  s.bos_token_id = bos_token_id;
  s.eos_token_id = eos_token_id;
  s.tied_lm_head = tie_word_embeddings;
  s.parameter_count = parameter_count();
  s.lookup_parameters = tie_word_embeddings ? 0 : vocab_size * hidden_size;  // embed_tokens, when untied
  return s;
}

nlohmann::json LlamaConfig::to_json() const { return llama_config_to_json(*this); }

nlohmann::json LlamaConfig::details() const {
  const nlohmann::json j = llama_config_to_json(*this);
  return {{"rms_norm_eps", rms_norm_eps},
          {"rope_parameters", j.at("rope_parameters")},
          {"sliding_window", j.value("sliding_window", nlohmann::json())}};
}

const std::vector<LlamaConfig>& named_llama_configs() {
  // name, model_type, hidden, mlp, layers, heads, kv heads, vocab, positions, window, rms eps, tied
  static const std::vector<LlamaConfig> table = {
      from_shape({"llama-tiny", "llama", 64, 176, 2, 8, 2, 512, 512, 0, 1e-6, false}),
      from_shape({"mistral-tiny", "mistral", 64, 176, 2, 8, 1, 512, 512, 16, 1e-6, false}),
      from_shape({"tinyllama-1.1b", "llama", 2048, 5632, 22, 32, 4, 32000, 2048, 0, 1e-5, false}),
      from_shape({"llama-2-7b", "llama", 4096, 11008, 32, 32, 32, 32000, 4096, 0, 1e-5, false}),
      from_shape({"mistral-7b", "mistral", 4096, 14336, 32, 32, 8, 32000, 32768, 4096, 1e-5, false}),
  };
  return table;
}

const LlamaConfig* find_named_llama_config(const std::string& name) {
  for (const auto& c : named_llama_configs())
    if (c.name == name) return &c;
  return nullptr;
}

bool is_llama_family(const nlohmann::json& j) {
  return j.is_object() && j.contains("model_type") && (j.at("model_type") == "llama" || j.at("model_type") == "mistral");
}

LlamaConfig read_llama_config_json(const std::filesystem::path& path) {
  const nlohmann::json j = io::read_json_file(path);
  GPTBENCH_CHECK(j.is_object(), "{}: not a JSON object", path.string());
  return llama_config_from_json(j, path.string());
}

LlamaConfig llama_config_from_json(const nlohmann::json& j, const std::string& source) {
  GPTBENCH_CHECK(is_llama_family(j), "{}: \"model_type\" must be \"llama\" or \"mistral\", got {}", source,
                 j.contains("model_type") ? io::json_excerpt(j.at("model_type")) : std::string("nothing"));
  LlamaConfig c;
  c.model_type = j.at("model_type").get<std::string>();
  c.hidden_size = get_int(j, "hidden_size", 1, kMaxWidth, source);
  c.intermediate_size = get_int(j, "intermediate_size", 1, kMaxMlpWidth, source);
  c.num_hidden_layers = get_int(j, "num_hidden_layers", 1, kMaxLayers, source);
  c.num_attention_heads = get_int(j, "num_attention_heads", 1, kMaxWidth, source);
  c.num_key_value_heads = has_value(j, "num_key_value_heads")
                              ? get_int(j, "num_key_value_heads", 1, c.num_attention_heads, source)
                              : c.num_attention_heads;
  GPTBENCH_CHECK(c.num_attention_heads % c.num_key_value_heads == 0,
                 "{}: num_attention_heads {} is not a multiple of num_key_value_heads {}", source,
                 c.num_attention_heads, c.num_key_value_heads);
  if (has_value(j, "head_dim")) {
    c.head_dim_value = get_int(j, "head_dim", 2, kMaxWidth, source);
    GPTBENCH_CHECK(c.num_attention_heads * c.head_dim_value <= kMaxWidth * 4,
                   "{}: num_attention_heads x head_dim = {} is too large", source,
                   c.num_attention_heads * c.head_dim_value);
  } else {
    GPTBENCH_CHECK(c.hidden_size % c.num_attention_heads == 0,
                   "{}: hidden_size {} is not a multiple of num_attention_heads {} (and no \"head_dim\")", source,
                   c.hidden_size, c.num_attention_heads);
  }
  GPTBENCH_CHECK(c.head_dim() % 2 == 0, "{}: the head size {} must be even for rotary embeddings", source,
                 c.head_dim());
  c.max_position_embeddings = get_int(j, "max_position_embeddings", 1, kMaxPositions, source);
  c.vocab_size = get_int(j, "vocab_size", 1, kMaxVocab, source);
  if (has_value(j, "rms_norm_eps")) c.rms_norm_eps = get_positive_double(j, "rms_norm_eps", source);
  read_rope(j, c, source);
  if (has_value(j, "hidden_act")) {
    GPTBENCH_CHECK(j.at("hidden_act") == "silu", "{}: \"hidden_act\" {} is not supported (only \"silu\")", source,
                   io::json_excerpt(j.at("hidden_act")));
  }
  for (const char* key : {"attention_bias", "mlp_bias"}) {
    GPTBENCH_CHECK(!get_bool(j, key, false, source), "{}: \"{}\": true is not supported by gptbench", source, key);
  }
  c.tie_word_embeddings = get_bool(j, "tie_word_embeddings", false, source);
  c.bos_token_id = get_token_id(j, "bos_token_id", c.bos_token_id, source);
  c.eos_token_id = get_token_id(j, "eos_token_id", c.eos_token_id, source);
  if (c.model_type == "mistral" && has_value(j, "sliding_window"))
    c.sliding_window = get_int(j, "sliding_window", 1, kMaxPositions, source);
  c.read_gptbench_block(j, source);  // the variant `gptbench train` trained with, and its options
  c.name = "custom";
  for (const auto& named : named_llama_configs()) {
    if (named.model_type == c.model_type && named.hidden_size == c.hidden_size &&
        named.intermediate_size == c.intermediate_size && named.num_hidden_layers == c.num_hidden_layers &&
        named.num_attention_heads == c.num_attention_heads && named.num_key_value_heads == c.num_key_value_heads &&
        named.vocab_size == c.vocab_size && named.head_dim() == c.head_dim())
      c.name = named.name;
  }
  return c;
}

nlohmann::json llama_config_to_json(const LlamaConfig& c) {
  nlohmann::json rope{{"rope_theta", c.rope_theta}};
  const RopeScaling& s = c.rope_scaling;
  switch (s.type) {
    case RopeType::kDefault: rope["rope_type"] = "default"; break;
    case RopeType::kLinear:
      rope["rope_type"] = "linear";
      rope["factor"] = s.factor;
      break;
    case RopeType::kLlama3:
      rope["rope_type"] = "llama3";
      rope["factor"] = s.factor;
      rope["low_freq_factor"] = s.low_freq_factor;
      rope["high_freq_factor"] = s.high_freq_factor;
      rope["original_max_position_embeddings"] = s.original_max_position_embeddings;
      break;
  }
  const bool mistral = c.model_type == "mistral";
  nlohmann::json j{
      {"architectures", {mistral ? "MistralForCausalLM" : "LlamaForCausalLM"}},
      {"attention_dropout", 0.0},
      {"bos_token_id", c.bos_token_id},
      {"eos_token_id", c.eos_token_id},
      {"head_dim", c.head_dim()},
      {"hidden_act", "silu"},
      {"hidden_size", c.hidden_size},
      {"initializer_range", 0.02},
      {"intermediate_size", c.intermediate_size},
      {"max_position_embeddings", c.max_position_embeddings},
      {"model_type", c.model_type},
      {"num_attention_heads", c.num_attention_heads},
      {"num_hidden_layers", c.num_hidden_layers},
      {"num_key_value_heads", c.num_key_value_heads},
      {"rms_norm_eps", c.rms_norm_eps},
      {"rope_parameters", rope},
      {"tie_word_embeddings", c.tie_word_embeddings},
      {"vocab_size", c.vocab_size},
  };
  if (!mistral) {
    j["attention_bias"] = false;
    j["mlp_bias"] = false;
  } else {
    j["sliding_window"] = c.sliding_window > 0 ? nlohmann::json(c.sliding_window) : nlohmann::json(nullptr);
  }
  if (const nlohmann::json block = c.gptbench_block(); !block.is_null()) j["gptbench"] = block;
  return j;
}

}  // namespace gptbench::model
