// Llama/Mistral config.json reading, refusals naming the key, the named shapes (parameter counts are
// transformers' own: LlamaForCausalLM / MistralForCausalLM on the meta device, transformers 5.17), the
// inverse rotary frequencies and the weight map.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <ATen/TensorOperators.h>  // Tensor operators (/)
#include <ATen/ops/allclose.h>  // at::allclose
#include <ATen/ops/arange.h>    // at::arange
#include <ATen/ops/pow.h>       // at::pow

#include <cmath>   // M_PI
#include <string>  // std::string

#include <fmt/format.h>  // fmt::format

#include "gptbench/model/llama_config.h"      // llama_config_from_json, named_llama_configs
#include "gptbench/model/llama_rope.h"        // rope_inv_freq
#include "gptbench/model/llama_weight_map.h"  // llama_weight_map
#include "gptbench/util/error.h"              // Error

using gptbench::model::LlamaConfig;
using gptbench::model::llama_config_from_json;
using gptbench::model::RopeType;
using nlohmann::json;

namespace {

// A transformers 5 config.json of a small Llama (as LlamaConfig.save_pretrained writes it).
json tiny_llama_json() {
  return json::parse(R"({"model_type":"llama","hidden_size":64,"intermediate_size":176,"num_hidden_layers":2,
      "num_attention_heads":8,"num_key_value_heads":2,"head_dim":8,"max_position_embeddings":512,"vocab_size":512,
      "rms_norm_eps":1e-6,"rope_parameters":{"rope_theta":10000.0,"rope_type":"default"},"hidden_act":"silu",
      "attention_bias":false,"mlp_bias":false,"tie_word_embeddings":false,"bos_token_id":1,"eos_token_id":2})");
}

// The message of the Error that parsing `j` throws ("" when none).
std::string error_of(const json& j) {
  try {
    llama_config_from_json(j, "dir/config.json");
  } catch (const gptbench::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(LlamaConfig, NamedShapesMatchTransformersParameterCounts) {
  const std::pair<const char*, int64_t> expected[] = {{"llama-tiny", 153920},
                                                      {"mistral-tiny", 151872},
                                                      {"tinyllama-1.1b", 1100048384},
                                                      {"llama-2-7b", 6738415616},
                                                      {"mistral-7b", 7241732096}};
  for (const auto& [name, params] : expected) {
    const LlamaConfig* c = gptbench::model::find_named_llama_config(name);
    ASSERT_NE(c, nullptr) << name;
    EXPECT_EQ(c->parameter_count(), params) << name;
  }
  const LlamaConfig& mistral = *gptbench::model::find_named_llama_config("mistral-7b");
  EXPECT_EQ(mistral.num_key_value_heads, 8);
  EXPECT_EQ(mistral.sliding_window, 4096);
  EXPECT_EQ(mistral.head_dim(), 128);
  EXPECT_EQ(gptbench::model::find_named_llama_config("gpt2"), nullptr);
}

TEST(LlamaConfig, ReadsTransformers5ConfigAndRecognisesTheShape) {
  const LlamaConfig c = llama_config_from_json(tiny_llama_json(), "config.json");
  EXPECT_EQ(c.name, "llama-tiny");
  EXPECT_EQ(c.model_type, "llama");
  EXPECT_EQ(c.num_key_value_heads, 2);
  EXPECT_EQ(c.head_dim(), 8);
  EXPECT_EQ(c.q_width(), 64);
  EXPECT_EQ(c.kv_width(), 16);
  EXPECT_DOUBLE_EQ(c.rms_norm_eps, 1e-6);
  EXPECT_EQ(c.rope_scaling.type, RopeType::kDefault);
  EXPECT_EQ(c.eos_token_id, 2);
  EXPECT_EQ(c.sliding_window, 0);
}

TEST(LlamaConfig, WritesWhatItReads) {
  LlamaConfig c = *gptbench::model::find_named_llama_config("mistral-tiny");
  c.rope_scaling.type = RopeType::kLlama3;
  c.rope_scaling.factor = 8;
  c.rope_scaling.original_max_position_embeddings = 64;
  c.tie_word_embeddings = true;
  const LlamaConfig back = llama_config_from_json(gptbench::model::llama_config_to_json(c), "x");
  EXPECT_EQ(back.name, "mistral-tiny");
  EXPECT_EQ(back.model_type, "mistral");
  EXPECT_EQ(back.sliding_window, 16);
  EXPECT_EQ(back.num_key_value_heads, 1);
  EXPECT_TRUE(back.tie_word_embeddings);
  EXPECT_EQ(back.rope_scaling.type, RopeType::kLlama3);
  EXPECT_DOUBLE_EQ(back.rope_scaling.factor, 8);
  EXPECT_EQ(back.rope_scaling.original_max_position_embeddings, 64);
  EXPECT_DOUBLE_EQ(back.rope_scaling.high_freq_factor, 4);
}

TEST(LlamaConfig, ReadsTransformers4KeysAndDefaults) {
  // Llama-2 / Mistral v0.1 style: rope_theta and rope_scaling at the top, no head_dim, no kv heads.
  json j = tiny_llama_json();
  j.erase("rope_parameters");
  j.erase("head_dim");
  j.erase("num_key_value_heads");
  j["rope_theta"] = 500000.0;
  j["rope_scaling"] = {{"type", "linear"}, {"factor", 2.0}};
  j["eos_token_id"] = {128001, 128009};
  j["vocab_size"] = 128256;
  const LlamaConfig c = llama_config_from_json(j, "config.json");
  EXPECT_EQ(c.num_key_value_heads, 8);
  EXPECT_EQ(c.head_dim(), 8);
  EXPECT_DOUBLE_EQ(c.rope_theta, 500000.0);
  EXPECT_EQ(c.rope_scaling.type, RopeType::kLinear);
  EXPECT_DOUBLE_EQ(c.rope_scaling.factor, 2.0);
  EXPECT_EQ(c.eos_token_id, 128001);  // the first of Llama 3's EOS list
  j["rope_scaling"] = nullptr;
  EXPECT_EQ(llama_config_from_json(j, "config.json").rope_scaling.type, RopeType::kDefault);
}

TEST(LlamaConfig, MistralSlidingWindowNullOrInteger) {
  json j = tiny_llama_json();
  j["model_type"] = "mistral";
  j["sliding_window"] = nullptr;
  EXPECT_EQ(llama_config_from_json(j, "c").sliding_window, 0);
  j["sliding_window"] = 4096;
  EXPECT_EQ(llama_config_from_json(j, "c").sliding_window, 4096);
  j["sliding_window"] = 0;
  EXPECT_NE(error_of(j).find("\"sliding_window\""), std::string::npos) << error_of(j);
  j["model_type"] = "llama";  // LlamaConfig has no window: transformers ignores the key, so do we
  EXPECT_EQ(llama_config_from_json(j, "c").sliding_window, 0);
}

TEST(LlamaConfig, RefusesWhatItDoesNotImplementNamingFileAndKey) {
  const std::pair<const char*, json> cases[] = {
      {"hidden_act", "gelu"},
      {"attention_bias", true},
      {"mlp_bias", true},
      {"num_key_value_heads", 3},
      {"num_key_value_heads", 16},
      {"hidden_size", -64},
      {"hidden_size", 1e12},
      {"vocab_size", "512"},
      {"num_hidden_layers", 1 << 20},
      {"rms_norm_eps", 0},
      {"rope_parameters", json{{"rope_type", "yarn"}, {"factor", 4.0}}},
      {"rope_parameters", json{{"rope_type", "dynamic"}, {"factor", 4.0}}},
      {"rope_parameters", json{{"rope_type", "longrope"}}},
      {"rope_parameters", json{{"rope_type", "linear"}}},
      {"rope_parameters", json{{"rope_type", "llama3"}, {"factor", 8.0}}},
      {"rope_parameters", json{{"rope_type", "default"}, {"partial_rotary_factor", 0.5}}},
      {"rope_parameters", json{{"rope_type", "default"}, {"rope_theta", -1}}},
      {"rope_parameters", json::array()},
      {"eos_token_id", -1},
      {"tie_word_embeddings", "yes"},
      {"model_type", "gpt2"},
  };
  for (const auto& [key, value] : cases) {
    json j = tiny_llama_json();
    j[key] = value;
    const std::string message = error_of(j);
    EXPECT_NE(message.find("dir/config.json"), std::string::npos) << key << " = " << value.dump() << ": " << message;
    EXPECT_NE(message.find(key), std::string::npos) << key << " = " << value.dump() << ": " << message;
  }
  json no_width = tiny_llama_json();
  no_width.erase("hidden_size");
  EXPECT_NE(error_of(no_width).find("missing key \"hidden_size\""), std::string::npos) << error_of(no_width);
  json odd = tiny_llama_json();
  odd["head_dim"] = 7;
  EXPECT_NE(error_of(odd).find("even"), std::string::npos) << error_of(odd);
}

TEST(LlamaRope, DefaultIsThetaToTheMinusTwoIOverD) {
  LlamaConfig c = llama_config_from_json(tiny_llama_json(), "c");
  const at::Tensor inv_freq = gptbench::model::rope_inv_freq(c);
  ASSERT_EQ(inv_freq.sizes(), at::IntArrayRef({4}));
  EXPECT_EQ(inv_freq.scalar_type(), at::kFloat);
  const at::Tensor expected = at::pow(10000.0, at::arange(0, 8, 2, at::kDouble) / -8.0).to(at::kFloat);
  EXPECT_TRUE(at::allclose(inv_freq, expected, 1e-7, 0)) << inv_freq;
  c.rope_scaling.type = RopeType::kLinear;
  c.rope_scaling.factor = 4;
  EXPECT_TRUE(at::allclose(gptbench::model::rope_inv_freq(c), expected / 4, 1e-7, 0));
}

TEST(LlamaRope, Llama3KeepsHighFrequenciesAndDividesLowOnes) {
  LlamaConfig c = llama_config_from_json(tiny_llama_json(), "c");
  c.head_dim_value = 64;
  c.rope_theta = 500000;
  c.rope_scaling = {RopeType::kLlama3, 8.0, 1.0, 4.0, 8192};
  const at::Tensor scaled = gptbench::model::rope_inv_freq(c);
  c.rope_scaling = {};
  const at::Tensor plain = gptbench::model::rope_inv_freq(c);
  int64_t kept = 0, divided = 0, smoothed = 0;
  for (int64_t i = 0; i < plain.size(0); ++i) {
    const double f = plain[i].item<double>(), s = scaled[i].item<double>(), wavelen = 2 * M_PI / f;
    if (wavelen < 8192 / 4.0) {
      EXPECT_EQ(s, f) << i;
      ++kept;
    } else if (wavelen > 8192 / 1.0) {
      EXPECT_NEAR(s, f / 8, f * 1e-6) << i;
      ++divided;
    } else {
      EXPECT_LT(s, f) << i;
      EXPECT_GT(s, f / 8) << i;
      ++smoothed;
    }
  }
  EXPECT_GT(kept, 0);
  EXPECT_GT(divided, 0);
  EXPECT_GT(smoothed, 0);
}

TEST(LlamaWeightMap, FusesQkvAndGateUpAndOmitsTiedHead) {
  LlamaConfig c = *gptbench::model::find_named_llama_config("llama-tiny");
  auto map = gptbench::model::llama_weight_map(c);
  ASSERT_EQ(map.size(), 1 + 9 * 2 + 1 + 1);  // embed, 9 HF tensors per layer, norm, lm_head
  const std::pair<const char*, int64_t> qkv[] = {{"q_proj", 0}, {"k_proj", 64}, {"v_proj", 80}};
  for (int i = 0; i < 3; ++i) {
    const auto& e = map[2 + i];
    EXPECT_EQ(e.module_name, "layers.0.self_attn.qkv_proj.weight");
    EXPECT_EQ(e.hf_name, fmt::format("model.layers.0.self_attn.{}.weight", qkv[i].first));
    EXPECT_EQ(e.row0, qkv[i].second);
    EXPECT_EQ(e.rows, i == 0 ? 64 : 16);
  }
  EXPECT_EQ(map[1].rows, 0);  // input_layernorm: the whole parameter
  EXPECT_EQ(map[8].module_name, "layers.0.mlp.gate_up_proj.weight");
  EXPECT_EQ(map[8].hf_name, "model.layers.0.mlp.up_proj.weight");
  EXPECT_EQ(map[8].row0, 176);
  EXPECT_EQ(map.back().module_name, "lm_head.weight");
  EXPECT_TRUE(gptbench::model::is_ignored_llama_checkpoint_key("model.layers.0.self_attn.rotary_emb.inv_freq"));
  EXPECT_FALSE(gptbench::model::is_ignored_llama_checkpoint_key("model.layers.0.self_attn.q_proj.weight"));
  c.tie_word_embeddings = true;
  map = gptbench::model::llama_weight_map(c);
  EXPECT_EQ(map.back().module_name, "norm.weight");
}

TEST(LlamaConfig, ShapeForTheModelInterface) {
  const LlamaConfig& c = *gptbench::model::find_named_llama_config("mistral-7b");
  const gptbench::model::ModelShape s = c.shape();
  EXPECT_EQ(s.family, "mistral");
  EXPECT_EQ(s.name, "mistral-7b");
  EXPECT_EQ(s.n_head, 32);
  EXPECT_EQ(s.n_kv_head, 8);
  EXPECT_EQ(s.head_dim, 128);
  EXPECT_EQ(s.mlp_width, 14336);
  EXPECT_EQ(s.max_positions, 32768);
  EXPECT_FALSE(s.position_table);
  EXPECT_FALSE(s.tied_lm_head);
  EXPECT_EQ(s.parameter_count, 7241732096);
  EXPECT_EQ(s.lookup_parameters, 32000 * 4096);
  EXPECT_EQ(s.eos_token_id, 2);
  EXPECT_EQ(c.details().at("sliding_window"), 4096);
  LlamaConfig trained = c;
  trained.trained_variant = "flash+sparse";
  EXPECT_EQ(llama_config_from_json(trained.to_json(), "c").trained_variant, "flash+sparse");
}
