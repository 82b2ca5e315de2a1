// Config table and config.json validation. Parameter counts are transformers' own
// (sum of GPT2LMHeadModel parameters on the meta device, transformers 5.x).
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <string>  // std::string

#include "gptbench/model/gpt2_config.h"   // config_from_json
#include "gptbench/model/model_family.h"  // resolve_model_config
#include "gptbench/util/error.h"          // Error, UsageError

using gptbench::model::config_from_json;
using gptbench::model::resolve_model_config;

TEST(Gpt2Config, NamedTableMatchesTransformersParameterCounts) {
  const std::pair<const char*, int64_t> expected[] = {{"gpt2", 124439808},
                                                      {"distilgpt2", 81912576},
                                                      {"gpt2-medium", 354823168},
                                                      {"gpt2-large", 774030080},
                                                      {"gpt2-xl", 1557611200}};
  for (const auto& [name, params] : expected) {
    EXPECT_EQ(resolve_model_config(name)->shape().parameter_count, params) << name;
    EXPECT_EQ(resolve_model_config(name)->shape().name, name);
  }
}

TEST(Gpt2Config, UnknownNameIsAUsageErrorListingNames) {
  try {
    resolve_model_config("gpt3");
    FAIL() << "no error";
  } catch (const gptbench::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("gpt2-medium"), std::string::npos) << e.what();
  }
}

TEST(Gpt2Config, ReadsHfConfigAndRecognisesTheShape) {
  auto j = nlohmann::json::parse(R"({"model_type":"gpt2","n_layer":12,"n_head":12,"n_embd":768,
      "n_positions":1024,"vocab_size":50257,"layer_norm_epsilon":1e-5,"activation_function":"gelu_new","n_inner":null})");
  const auto c = config_from_json(j, "config.json");
  EXPECT_EQ(c.name, "gpt2");
  EXPECT_EQ(c.head_dim(), 64);
  EXPECT_EQ(c.mlp_width(), 3072);
}

namespace {
std::string error_of(const std::string& text) {
  try {
    config_from_json(nlohmann::json::parse(text), "dir/config.json");
  } catch (const gptbench::Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Gpt2Config, RefusesUnsupportedOrBrokenConfigsNamingFileAndKey) {
  const std::string base = R"("n_head":4,"n_embd":64,"n_positions":128,"vocab_size":100)";
  EXPECT_NE(error_of("{" + base + "}").find("n_layer"), std::string::npos);
  EXPECT_NE(error_of(R"({"n_layer":0,)" + base + "}").find("positive"), std::string::npos);
  EXPECT_NE(error_of(R"({"n_layer":2,"n_head":5,"n_embd":64,"n_positions":128,"vocab_size":100})").find("multiple"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"n_layer":2,"activation_function":"swish",)" + base + "}").find("swish"), std::string::npos);
  EXPECT_NE(error_of(R"({"n_layer":2,"model_type":"llama",)" + base + "}").find("llama"), std::string::npos);
  EXPECT_NE(error_of(R"({"n_layer":2,"scale_attn_by_inverse_layer_idx":true,)" + base + "}")
                .find("scale_attn_by_inverse_layer_idx"),
            std::string::npos);
  EXPECT_EQ(error_of(R"({"n_layer":2,)" + base + "}"), "");  // a valid config raises nothing
  EXPECT_NE(error_of("{" + base + "}").find("dir/config.json"), std::string::npos);
}
