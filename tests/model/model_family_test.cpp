// The family table (model_family.h) and the model interface (causal_lm.h) on GPT-2: config.json
// dispatch on model_type (an unknown one is refused naming the file and the key), named shapes of
// every family, GPT-2's shape facts against its modules, a save/load round trip through the table,
// the same weights under another variant, and the KV cache bytes from the shape.
#include <ATen/ops/allclose.h>       // at::allclose
#include <ATen/ops/equal.h>          // at::equal
#include <ATen/ops/zeros.h>          // at::zeros
#include <c10/core/InferenceMode.h>  // c10::InferenceMode
#include <gtest/gtest.h>             // TEST, EXPECT_*

#include <memory>   // std::shared_ptr
#include <string>   // std::string
#include <vector>   // std::vector

#include "../support/error_message.h"  // message_of
#include "../support/temp_dir.h"       // test_support::TempDir
#include "gptbench/attention/variant.h"   // parse_variant
#include "gptbench/model/checkpoint.h"    // save_model, load_model
#include "gptbench/model/gpt2_config.h"   // Gpt2Config
#include "gptbench/model/model_family.h"  // model_families, find_family, read_model_config, ...
#include "gptbench/util/error.h"          // Error, UsageError
#include "tiny_model_fixture.h"           // tiny_config, random_prompts, batch_logits

using namespace gptbench;
using gptbench::testing::batch_logits;
using gptbench::testing::random_prompts;
using gptbench::testing::tiny_config;

namespace {

// A scratch folder holding the files a test writes (a config.json, a checkpoint).
class Scratch : public test_support::TempDir {
 public:
  std::string dir() const { return path().string(); }
  std::string write_config(const std::string& text) const { return write("config.json", text).string(); }
};

using test_support::message_of;

// A config of a family nobody registered.
struct UnregisteredConfig final : model::ModelConfig {
  model::ModelShape shape() const override {
    model::ModelShape s;
    s.family = "unregistered";
    return s;
  }
  nlohmann::json to_json() const override { return nlohmann::json::object(); }
  nlohmann::json details() const override { return nlohmann::json::object(); }
  std::unique_ptr<model::ModelConfig> clone() const override { return std::make_unique<UnregisteredConfig>(*this); }
};

constexpr const char* kTinyGpt2Json =
    R"({"n_layer":2,"n_head":4,"n_embd":64,"n_positions":128,"vocab_size":100%s})";

std::string tiny_json(const std::string& extra) {
  std::string s = kTinyGpt2Json;
  return s.replace(s.find("%s"), 2, extra);
}

}  // namespace

TEST(ModelFamily, TheTableFindsGpt2AndRefusesAnUnknownModelTypeNamingFileAndKey) {
  ASSERT_FALSE(model::model_families().empty());
  EXPECT_EQ(model::model_families().front().model_type, "gpt2");
  EXPECT_EQ(model::find_family("gpt2", "x").model_type, "gpt2");
  const std::string message = message_of<Error>([] { model::find_family("bert", "dir/config.json"); });
  EXPECT_NE(message.find("dir/config.json"), std::string::npos) << message;
  EXPECT_NE(message.find("\"model_type\""), std::string::npos) << message;
  EXPECT_NE(message.find("bert"), std::string::npos) << message;
  EXPECT_NE(message.find("\"gpt2\""), std::string::npos) << message;  // the known types

  Scratch scratch;
  const std::string path = scratch.write_config(tiny_json(R"(,"model_type":"falcon")"));
  const std::string read_error = message_of<Error>([&] { model::read_model_config(path); });
  EXPECT_NE(read_error.find(path), std::string::npos) << read_error;
  EXPECT_NE(read_error.find("model_type"), std::string::npos) << read_error;
  EXPECT_NE(read_error.find("falcon"), std::string::npos) << read_error;
  scratch.write_config(tiny_json(R"(,"model_type":7)"));
  EXPECT_NE(message_of<Error>([&] { model::read_model_config(path); }).find("\"model_type\" must be a string"),
            std::string::npos);
  // load_model goes through the same dispatch before it reads any weights.
  const std::string load_error = message_of<Error>(
      [&] { model::load_model(scratch.dir(), attention::AttentionSpec{}, at::kFloat, c10::Device(c10::kCPU)); });
  EXPECT_NE(load_error.find("model_type"), std::string::npos) << load_error;
}

TEST(ModelFamily, DispatchesOnModelTypeAndReadsAMissingOneAsGpt2) {
  Scratch scratch;
  for (const std::string extra : {std::string(R"(,"model_type":"gpt2")"), std::string()}) {
    const auto config = model::read_model_config(scratch.write_config(tiny_json(extra)));
    ASSERT_NE(dynamic_cast<const model::Gpt2Config*>(config.get()), nullptr) << extra;
    EXPECT_EQ(config->shape().family, "gpt2");
    EXPECT_EQ(config->shape().n_layer, 2);
  }
}

TEST(ModelFamily, NamedShapesOfEveryFamilyResolveAndUnknownNamesListThem) {
  const auto medium = model::resolve_model_config("gpt2-medium");
  EXPECT_EQ(medium->shape().family, "gpt2");
  EXPECT_EQ(medium->shape().name, "gpt2-medium");
  EXPECT_EQ(medium->shape().parameter_count, 354823168);  // transformers' count
  for (const model::ModelFamily& family : model::model_families())
    for (const auto& named : family.named_configs())
      EXPECT_EQ(model::resolve_model_config(named->shape().name)->shape().family, family.model_type);
  const std::string message = message_of<UsageError>([] { model::resolve_model_config("gpt3"); });
  EXPECT_NE(message.find("--config"), std::string::npos) << message;
  EXPECT_NE(message.find("gpt2-xl"), std::string::npos) << message;
}

TEST(ModelFamily, AConfigOfAnUnregisteredFamilyIsRefusedByNameNotMisread) {
  const UnregisteredConfig other;
  EXPECT_NE(message_of<Error>([&] { model::build_model(other, attention::AttentionSpec{}); }).find("unregistered"),
            std::string::npos);
  const std::string message =
      message_of<Error>([&] { model::config_as<model::Gpt2Config>(other, model::kGpt2ModelType); });
  EXPECT_NE(message.find("unregistered"), std::string::npos) << message;
  EXPECT_NE(message.find("gpt2"), std::string::npos) << message;
}

TEST(ModelFamily, Gpt2ShapeAgreesWithItsModules) {
  model::Gpt2Config config = tiny_config(50256);
  config.n_inner = 96;
  const std::shared_ptr<model::CausalLm> m = model::init_model(config, 1);
  const model::ModelShape& shape = m->shape();
  EXPECT_EQ(shape.family, "gpt2");
  EXPECT_EQ(shape.n_kv_head, shape.n_head);
  EXPECT_EQ(shape.head_dim, 16);
  EXPECT_EQ(shape.mlp_width, 96);
  EXPECT_TRUE(shape.tied_lm_head);
  EXPECT_TRUE(shape.position_table);
  int64_t parameters = 0;
  for (const auto& p : m->parameters()) parameters += p.numel();
  EXPECT_EQ(shape.parameter_count, parameters);
  EXPECT_EQ(shape.lookup_parameters, m->named_parameters()["wpe.weight"].numel());
  EXPECT_TRUE(m->lm_head_weight().is_same(m->named_parameters()["wte.weight"]));
  EXPECT_TRUE(m->unused_parameters().empty());
  const auto alibi = model::with_attention(*m, attention::parse_variant("alibi"));
  EXPECT_EQ(alibi->unused_parameters(), std::vector<std::string>{"wpe.weight"});
  EXPECT_EQ(model::context_limit(shape, m->spec()), 512);
  EXPECT_EQ(model::context_limit(shape, alibi->spec()), model::kMaxAlibiTokens);
}

TEST(ModelFamily, SaveThenLoadThroughTheTableGivesTheSameLogits) {
  Scratch scratch;
  const std::shared_ptr<model::CausalLm> saved = model::init_model(tiny_config(50256), 2);
  saved->eval();
  model::save_model(*saved, scratch.dir());
  const model::LoadedModel loaded =
      model::load_model(scratch.dir(), attention::AttentionSpec{}, at::kFloat, c10::Device(c10::kCPU));
  EXPECT_EQ(loaded.model->shape().family, "gpt2");
  const auto prompts = random_prompts({9, 4}, 3);
  EXPECT_TRUE(at::equal(batch_logits(*saved, prompts, model::LogitsMode::kAllPositions),
                        batch_logits(*loaded.model, prompts, model::LogitsMode::kAllPositions)));
}

TEST(ModelFamily, WithAttentionKeepsTheWeightsUnderAnotherVariant) {
  const std::shared_ptr<model::CausalLm> standard = model::init_model(tiny_config(50256), 3);
  standard->eval();
  const auto sdpa = model::with_attention(*standard, attention::parse_variant("sdpa"));
  EXPECT_EQ(attention::variant_name(sdpa->spec()), "sdpa");
  EXPECT_FALSE(sdpa->lm_head_weight().is_same(standard->lm_head_weight()));  // copied, not shared
  const auto prompts = random_prompts({12, 5}, 4);
  const at::Tensor a = batch_logits(*standard, prompts, model::LogitsMode::kLastPosition);
  const at::Tensor b = batch_logits(*sdpa, prompts, model::LogitsMode::kLastPosition);
  EXPECT_TRUE(at::allclose(a, b, 1e-5, 1e-5));
}

TEST(ModelFamily, KvCacheBytesFromTheShapeMatchWhatTheCacheAllocates) {
  const std::shared_ptr<model::CausalLm> base = model::init_model(tiny_config(50256), 4);
  c10::InferenceMode guard;
  for (const bool sparse : {false, true}) {
    const auto spec = sparse ? attention::parse_variant("sparse", {int64_t{16}, int64_t{2}}) : attention::AttentionSpec{};
    const auto m = model::with_attention(*base, spec);
    const at::Tensor key_start = at::zeros({3}, at::kLong);
    const model::CacheShape shape = m->cache_shape(3);
    EXPECT_EQ(shape.n_kv_head, 4);
    EXPECT_EQ(model::kv_cache_bytes(shape, m->spec(), 100), m->make_cache(key_start, 100)->bytes()) << sparse;
  }
}
