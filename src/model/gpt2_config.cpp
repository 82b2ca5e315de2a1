// GPT-2 config table and config.json validation.
#include "gptbench/model/gpt2_config.h"

#include <fmt/format.h>  // fmt::format

#include "gptbench/io/json_input.h"    // read_json_file, json_excerpt
#include "gptbench/io/json_integer.h"  // json_integer
#include "gptbench/util/check.h"       // GPTBENCH_CHECK
#include "gptbench/util/error.h"      // Error

namespace gptbench::model {
namespace {

Gpt2Config make_named(const char* name, int64_t n_layer, int64_t n_head, int64_t n_embd) {
  Gpt2Config c;
  c.name = name;
  c.n_layer = n_layer;
  c.n_head = n_head;
  c.n_embd = n_embd;
  return c;
}

// Upper bounds on the size-like keys: far above any GPT-2 (gpt2-xl: 48 layers, 1600 wide, 1024
// positions, 50257 tokens), low enough that parameter_count() and every tensor size stay well
// inside int64 and a hostile config.json is refused instead of overflowing or exhausting memory.
constexpr int64_t kMaxLayers = 1024;
constexpr int64_t kMaxWidth = 65536;  // n_embd, n_head and n_inner / 4
constexpr int64_t kMaxPositions = int64_t{1} << 20;
constexpr int64_t kMaxVocab = int64_t{1} << 24;

int64_t get_positive_int(const nlohmann::json& j, const char* key, int64_t max, const std::string& source) {
  GPTBENCH_CHECK(j.contains(key), "{}: missing key \"{}\"", source, key);
  return io::json_integer<int64_t>(j.at(key), fmt::format("{}: \"{}\" (a positive size)", source, key), 1, max);
}

// Settings that change GPT-2's math in ways gptbench does not implement: refuse, never ignore.
void refuse_unsupported(const nlohmann::json& j, const std::string& source) {
  auto refuse_true = [&](const char* key) {
    if (j.contains(key) && j.at(key).is_boolean() && j.at(key).get<bool>())
      throw Error(fmt::format("{}: \"{}\": true is not supported by gptbench", source, key));
  };
  refuse_true("scale_attn_by_inverse_layer_idx");
  refuse_true("add_cross_attention");
  if (j.contains("scale_attn_weights") && j.at("scale_attn_weights").is_boolean() &&
      !j.at("scale_attn_weights").get<bool>())
    throw Error(fmt::format("{}: \"scale_attn_weights\": false is not supported by gptbench", source));
  if (j.contains("tie_word_embeddings") && j.at("tie_word_embeddings").is_boolean() &&
      !j.at("tie_word_embeddings").get<bool>())
    throw Error(fmt::format("{}: \"tie_word_embeddings\": false is not supported (GPT-2 ties lm_head to wte)", source));
}

}  // namespace

int64_t Gpt2Config::parameter_count() const {
  const int64_t c = n_embd, f = mlp_width();
  const int64_t per_layer = 2 * 2 * c            // ln_1, ln_2
                            + c * 3 * c + 3 * c  // c_attn
                            + c * c + c          // attn.c_proj
                            + c * f + f          // mlp.c_fc
                            + f * c + c;         // mlp.c_proj
  return vocab_size * c + n_positions * c + n_layer * per_layer + 2 * c;
}

ModelShape Gpt2Config::shape() const {
  ModelShape s;
  s.family = kGpt2ModelType;
  s.name = name;
  s.n_layer = n_layer;
  s.n_head = n_head;
  s.n_kv_head = n_head;
  s.head_dim = head_dim();
  s.hidden_size = n_embd;
  s.mlp_width = mlp_width();
  s.vocab_size = vocab_size;
  s.max_positions = n_positions;
  s.max_positions_key = "n_positions";
  s.position_table = true;
  s.bos_token_id = eos_token_id;  // GPT-2 uses <|endoftext|> for both
  s.eos_token_id = eos_token_id;
  s.tied_lm_head = true;
  s.parameter_count = parameter_count();
  s.lookup_parameters = n_positions * n_embd;  // wpe; wte is also the lm_head matmul
  return s;
}

nlohmann::json Gpt2Config::to_json() const { return config_to_json(*this); }

nlohmann::json Gpt2Config::details() const {
  return {{"activation_function", activation_name}, {"layer_norm_epsilon", layer_norm_epsilon}};
}

std::unique_ptr<ModelConfig> Gpt2Config::clone() const { return std::make_unique<Gpt2Config>(*this); }

const std::vector<Gpt2Config>& named_configs() {
  static const std::vector<Gpt2Config> table = {
      make_named("gpt2", 12, 12, 768),         make_named("distilgpt2", 6, 12, 768),
      make_named("gpt2-medium", 24, 16, 1024), make_named("gpt2-large", 36, 20, 1280),
      make_named("gpt2-xl", 48, 25, 1600),
  };
  return table;
}

Gpt2Config read_config_json(const std::filesystem::path& path) {
  const nlohmann::json j = io::read_json_file(path);
  GPTBENCH_CHECK(j.is_object(), "{}: not a JSON object", path.string());
  return config_from_json(j, path.string());
}

Gpt2Config config_from_json(const nlohmann::json& j, const std::string& source) {
  if (j.contains("model_type")) {
    GPTBENCH_CHECK(j.at("model_type") == kGpt2ModelType, "{}: model_type {} is not supported (only \"gpt2\")", source,
                   io::json_excerpt(j.at("model_type")));
  }
  refuse_unsupported(j, source);
  Gpt2Config c;
  c.n_layer = get_positive_int(j, "n_layer", kMaxLayers, source);
  c.n_head = get_positive_int(j, "n_head", kMaxWidth, source);
  c.n_embd = get_positive_int(j, "n_embd", kMaxWidth, source);
  c.n_positions = get_positive_int(j, "n_positions", kMaxPositions, source);
  c.vocab_size = get_positive_int(j, "vocab_size", kMaxVocab, source);
  GPTBENCH_CHECK(c.n_embd % c.n_head == 0, "{}: n_embd {} is not a multiple of n_head {}", source, c.n_embd,
                 c.n_head);
  if (j.contains("n_inner") && !j.at("n_inner").is_null()) c.n_inner = get_positive_int(j, "n_inner", 4 * kMaxWidth, source);
  if (j.contains("layer_norm_epsilon")) {
    GPTBENCH_CHECK(j.at("layer_norm_epsilon").is_number() && j.at("layer_norm_epsilon").get<double>() > 0,
                   "{}: \"layer_norm_epsilon\" must be a positive number", source);
    c.layer_norm_epsilon = j.at("layer_norm_epsilon").get<double>();
  }
  if (j.contains("activation_function")) {
    GPTBENCH_CHECK(j.at("activation_function").is_string(), "{}: \"activation_function\" must be a string", source);
    c.activation_name = j.at("activation_function").get<std::string>();
    if (c.activation_name == "gelu_new" || c.activation_name == "gelu_pytorch_tanh" ||
        c.activation_name == "gelu_fast") {
      c.activation = Activation::kGeluTanh;
    } else if (c.activation_name == "gelu") {
      c.activation = Activation::kGeluErf;
    } else {
      throw Error(fmt::format(
          "{}: activation_function \"{}\" is not supported (gelu_new, gelu_pytorch_tanh, gelu_fast, gelu)", source,
          c.activation_name));
    }
  }
  if (j.contains("eos_token_id") && j.at("eos_token_id").is_number_integer())
    c.eos_token_id = io::json_integer<int64_t>(j.at("eos_token_id"), source + ": \"eos_token_id\"");
  c.read_gptbench_block(j, source);
  c.name = "custom";
  for (const auto& named : named_configs()) {
    if (named.n_layer == c.n_layer && named.n_head == c.n_head && named.n_embd == c.n_embd &&
        named.n_positions == c.n_positions && named.vocab_size == c.vocab_size && c.n_inner == 0)
      c.name = named.name;
  }
  return c;
}

nlohmann::json config_to_json(const Gpt2Config& c) {
  nlohmann::json j{
      {"activation_function", c.activation_name},
      {"architectures", {"GPT2LMHeadModel"}},
      {"attn_pdrop", 0.1},
      {"bos_token_id", c.eos_token_id},
      {"embd_pdrop", 0.1},
      {"eos_token_id", c.eos_token_id},
      {"initializer_range", 0.02},
      {"layer_norm_epsilon", c.layer_norm_epsilon},
      {"model_type", kGpt2ModelType},
      {"n_ctx", c.n_positions},
      {"n_embd", c.n_embd},
      {"n_head", c.n_head},
      {"n_inner", c.n_inner > 0 ? nlohmann::json(c.n_inner) : nlohmann::json(nullptr)},
      {"n_layer", c.n_layer},
      {"n_positions", c.n_positions},
      {"resid_pdrop", 0.1},
      {"tie_word_embeddings", true},
      {"vocab_size", c.vocab_size},
  };
  // transformers keeps unknown config keys as attributes, so from_pretrained still loads the folder.
  if (const nlohmann::json block = c.gptbench_block(); !block.is_null()) j["gptbench"] = block;
  return j;
}

}  // namespace gptbench::model
