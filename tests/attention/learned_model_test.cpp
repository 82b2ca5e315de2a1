// maskmix, performer and nsa inside the GPT-2 model: maskmix built from standard weights gives the
// standard logits exactly, its logits are trainable parameters that survive a checkpoint (the
// extra key h.{i}.attn.maskmix_logits) and load into older code paths unchanged; cached decode
// (maskmix: dense KV cache; performer: the recurrent state, no KV cache) equals recomputation; nsa's
// decode from the KV cache equals recomputation and its parameters survive a checkpoint.
#include <ATen/TensorOperators.h>    // Tensor operators
#include <ATen/ops/allclose.h>       // at::allclose
#include <ATen/ops/cat.h>            // at::cat
#include <ATen/ops/equal.h>          // at::equal
#include <ATen/ops/full.h>           // at::full
#include <ATen/ops/randn.h>          // at::randn
#include <ATen/ops/zeros.h>          // at::zeros
#include <c10/core/GradMode.h>       // c10::AutoGradMode
#include <c10/core/InferenceMode.h>  // c10::InferenceMode
#include <gtest/gtest.h>             // TEST, EXPECT_*

#include <memory>      // std::shared_ptr
#include <string>      // std::string
#include <vector>      // std::vector

#include "../support/temp_dir.h"          // test_support::TempDir
#include "gptbench/attention/learned_options.h"  // recorded_options
#include "gptbench/attention/variant.h"   // parse_variant
#include "gptbench/io/json_input.h"       // read_json_file
#include "gptbench/io/json_output.h"      // write_json_atomic
#include "gptbench/model/checkpoint.h"    // save_model, load_model
#include "gptbench/model/generator.h"     // left_pad, kPadId
#include "gptbench/model/model_family.h"  // init_model, with_attention
#include "learned_test_support.h"         // nsa_flags
#include "tiny_model_fixture.h"           // tiny_config, random_prompts, batch_logits
#include "gptbench/util/error.h"          // Error, UsageError

using namespace gptbench;
using namespace gptbench::testing;

namespace {

using Model = std::shared_ptr<model::CausalLm>;

Model base_model() { return model::init_model(tiny_config(50256), 77); }

// Gives every maskmix_logits parameter seeded random values (a trained-looking mixture).
void randomise_maskmix(model::CausalLm& m) {
  c10::AutoGradMode no_grad(false);
  for (auto& item : m.named_parameters())
    if (item.key().find("maskmix_logits") != std::string::npos) item.value().copy_(at::randn(item.value().sizes()) * 2);
}

// Logits of the last position at each decode step: prefill of the left-padded prompts with the
// model's cache, then `steps` tokens (the same fixed tokens for every row) one at a time.
at::Tensor cached_steps(model::CausalLm& m, const Prompts& prompts, const std::vector<int64_t>& tokens) {
  c10::InferenceMode guard;
  const auto batch = model::left_pad(prompts, model::kPadId, c10::kCPU);
  const int64_t b = batch.ids.size(0), t0 = batch.ids.size(1);
  auto cache = m.make_cache(batch.key_start, t0 + static_cast<int64_t>(tokens.size()));
  attention::AttentionPositions pos{batch.key_start, 0, {}, batch.left_padded};
  std::vector<at::Tensor> out;
  out.push_back(m.forward(batch.ids, pos, cache.get(), model::LogitsMode::kLastPosition));
  for (size_t s = 0; s < tokens.size(); ++s) {
    pos.q_pos0 = t0 + static_cast<int64_t>(s);
    out.push_back(m.forward(at::full({b, 1}, tokens[s], at::kLong), pos, cache.get(), model::LogitsMode::kLastPosition));
  }
  return at::cat(out, 1);  // (B, 1 + steps, V)
}

// The same logits recomputed without a cache over the whole sequence.
at::Tensor recomputed_steps(model::CausalLm& m, const Prompts& prompts, const std::vector<int64_t>& tokens) {
  Prompts seqs = prompts;
  for (auto& p : seqs)
    for (int64_t tok : tokens) p.push_back(static_cast<int32_t>(tok));
  const at::Tensor all = batch_logits(m, seqs, model::LogitsMode::kAllPositions);
  const int64_t n = static_cast<int64_t>(tokens.size()) + 1;
  return all.narrow(1, all.size(1) - n, n);
}

// nsa's sizes small enough for every branch to matter in prompts of tens of tokens.
attention::AttentionSpec small_nsa() { return attention::parse_variant("nsa", nsa_flags(8, 4, 8, 3, 12)); }

// Moves every nsa parameter off its start (a trained-looking compression and gates).
void randomise_nsa(model::CausalLm& m) {
  c10::AutoGradMode no_grad(false);
  for (auto& item : m.named_parameters())
    if (item.key().find(".nsa_") != std::string::npos) item.value().add_(at::randn(item.value().sizes()) * 0.3);
}

}  // namespace

TEST(LearnedModel, MaskMixFromStandardWeightsGivesTheStandardLogitsExactly) {
  const Model standard = base_model();
  standard->eval();
  const Model maskmix = model::with_attention(*standard, attention::parse_variant("maskmix"));
  const Prompts prompts = random_prompts({17, 6}, 8);
  EXPECT_TRUE(at::equal(batch_logits(*standard, prompts, model::LogitsMode::kAllPositions),
                        batch_logits(*maskmix, prompts, model::LogitsMode::kAllPositions)));
}

TEST(LearnedModel, MaskMixLogitsAreTrainableAndRoundTripThroughACheckpoint) {
  const Model maskmix = model::with_attention(*base_model(), attention::parse_variant("maskmix"));
  const auto params = maskmix->named_parameters();
  for (int layer = 0; layer < 2; ++layer) {
    const std::string key = "h." + std::to_string(layer) + ".attn.maskmix_logits";
    ASSERT_TRUE(params.contains(key)) << key;
    EXPECT_TRUE(params[key].requires_grad());
    EXPECT_EQ(params[key].sizes(), (std::vector<int64_t>{4, 6}));
  }
  EXPECT_FALSE(params["h.0.attn.maskmix_logits"].is_same(params["h.1.attn.maskmix_logits"]));  // one per layer
  randomise_maskmix(*maskmix);
  test_support::TempDir scratch;
  model::save_model(*maskmix, scratch.path());
  const auto spec = attention::parse_variant("maskmix");
  const model::LoadedModel loaded = model::load_model(scratch.path(), spec, at::kFloat, c10::kCPU);
  const auto loaded_params = loaded.model->named_parameters();
  for (const char* key : {"h.0.attn.maskmix_logits", "h.1.attn.maskmix_logits"})
    EXPECT_TRUE(at::equal(loaded_params[key], params[key])) << key;
  const Prompts prompts = random_prompts({9, 14}, 9);
  const at::Tensor logits = batch_logits(*maskmix, prompts, model::LogitsMode::kAllPositions);
  EXPECT_TRUE(at::equal(logits, batch_logits(*loaded.model, prompts, model::LogitsMode::kAllPositions)));
  // The mixture matters (not the standard logits), and the same checkpoint loads as standard, without the key.
  const model::LoadedModel as_standard = model::load_model(scratch.path(), {}, at::kFloat, c10::kCPU);
  EXPECT_FALSE(as_standard.model->named_parameters().contains("h.0.attn.maskmix_logits"));
  EXPECT_FALSE(at::allclose(logits, batch_logits(*as_standard.model, prompts, model::LogitsMode::kAllPositions)));
}

TEST(LearnedModel, CachedDecodeEqualsRecomputation) {
  const Model base = base_model();
  const Prompts prompts = random_prompts({11, 70, 3}, 10);  // 70 > performer's chunk of 64
  const std::vector<int64_t> tokens = {5, 99, 300, 7, 42, 1, 260, 18};
  for (const char* v : {"maskmix", "performer"}) {
    const Model m = model::with_attention(*base, attention::parse_variant(v));
    randomise_maskmix(*m);
    EXPECT_LT((cached_steps(*m, prompts, tokens) - recomputed_steps(*m, prompts, tokens)).abs().max().item<double>(),
              1e-4)
        << v;
  }
}

TEST(LearnedModel, PerformerDecodesFromAConstantSizeStateInsteadOfAKvCache) {
  const Model m = model::with_attention(*base_model(), attention::parse_variant("performer"));
  const at::Tensor key_start = at::zeros({2}, at::kLong);
  const auto small = m->make_cache(key_start, 16), large = m->make_cache(key_start, 4096);
  EXPECT_STREQ(small->kind(), "recurrent");
  EXPECT_EQ(small->bytes(), large->bytes());
  EXPECT_EQ(small->bytes(), 2 * 2 * 4 * 256 * (16 + 1) * 4);  // layers * batch * heads * m * (D + 1) * fp32
  EXPECT_EQ(model::kv_cache_bytes(m->cache_shape(2), m->spec(), 4096), large->bytes());
  EXPECT_NE(small->recurrent_state(1), nullptr);
}

TEST(LearnedModel, NsaCachedDecodeEqualsRecomputationAndItsParametersRoundTrip) {
  const Model nsa = model::with_attention(*base_model(), small_nsa());
  const auto params = nsa->named_parameters();
  ASSERT_TRUE(params.contains("h.1.attn.nsa_cmp_k_weight"));
  EXPECT_EQ(params["h.1.attn.nsa_cmp_k_weight"].sizes(), (std::vector<int64_t>{16, 8 * 16}));  // (D, l * D)
  EXPECT_EQ(params["h.0.attn.nsa_gate_weight"].sizes(), (std::vector<int64_t>{4, 3, 16}));     // (H, 3, D)
  EXPECT_TRUE(params["h.0.attn.nsa_gate_bias"].requires_grad());
  randomise_nsa(*nsa);
  // Decode: prefill of left-padded prompts, then token by token from the dense KV cache (the
  // compressed blocks extended as they complete) against recomputing every position.
  const Prompts prompts = random_prompts({11, 70, 3}, 10);
  const std::vector<int64_t> tokens = {5, 99, 300, 7, 42, 1, 260, 18, 11, 3};
  EXPECT_LT((cached_steps(*nsa, prompts, tokens) - recomputed_steps(*nsa, prompts, tokens)).abs().max().item<double>(),
            1e-4);
  test_support::TempDir scratch;
  model::save_model(*nsa, scratch.path());
  const model::LoadedModel loaded = model::load_model(scratch.path(), small_nsa(), at::kFloat, c10::kCPU);
  const auto loaded_params = loaded.model->named_parameters();
  for (const char* key : {"h.0.attn.nsa_cmp_v_pos", "h.1.attn.nsa_gate_bias", "h.1.attn.nsa_cmp_k_weight"})
    EXPECT_TRUE(at::equal(loaded_params[key], params[key])) << key;
  const at::Tensor logits = batch_logits(*nsa, prompts, model::LogitsMode::kAllPositions);
  EXPECT_TRUE(at::equal(logits, batch_logits(*loaded.model, prompts, model::LogitsMode::kAllPositions)));
  const model::LoadedModel as_standard = model::load_model(scratch.path(), {}, at::kFloat, c10::kCPU);
  EXPECT_FALSE(as_standard.model->named_parameters().contains("h.0.attn.nsa_gate_bias"));
}

namespace {

// A checkpoint trained under `spec`: its config.json records the variant and the options (as train's).
Model trained_under(const attention::AttentionSpec& spec) {
  model::Gpt2Config config = tiny_config(50256);
  config.trained_variant = attention::variant_name(spec);
  config.trained_options = attention::recorded_options(spec.learned);
  return model::with_attention(*model::init_model(config, 77), spec);
}

// The message of the gptbench::Error (UsageError included) that loading `dir` under `spec` throws; "" if none.
std::string load_error(const std::filesystem::path& dir, const attention::AttentionSpec& spec) {
  try {
    model::load_model(dir, spec, at::kFloat, c10::kCPU);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(LearnedModel, NsaCheckpointRecordsItsSizesAndLoadsWithThemWithoutFlags) {
  const Model nsa = trained_under(small_nsa());
  randomise_nsa(*nsa);
  test_support::TempDir scratch;
  model::save_model(*nsa, scratch.path());
  const std::filesystem::path config = scratch.path() / "config.json";
  EXPECT_EQ(io::read_json_file(config).at("gptbench"),
            nlohmann::json::parse(R"({"variant": "nsa", "nsa_block": 8, "nsa_stride": 4, "nsa_select_block": 8,
                                      "nsa_topk": 3, "nsa_window": 12})"));
  // No flags: the recorded sizes, so the same function (top-n 3 and window 12 keep every shape).
  const model::LoadedModel loaded = model::load_model(scratch.path(), attention::parse_variant("nsa"), at::kFloat, c10::kCPU);
  EXPECT_EQ(loaded.model->spec().learned.nsa.topk, 3);
  EXPECT_EQ(loaded.model->spec().learned.nsa.window, 12);
  const Prompts prompts = random_prompts({40, 29}, 12);
  EXPECT_TRUE(at::equal(batch_logits(*nsa, prompts, model::LogitsMode::kAllPositions),
                        batch_logits(*loaded.model, prompts, model::LogitsMode::kAllPositions)));
  // The same value as a flag loads; another is refused naming the file, the key and the flag.
  attention::VariantFlags same;
  same.nsa_topk = 3;
  EXPECT_EQ(load_error(scratch.path(), attention::parse_variant("nsa", same)), "");
  attention::VariantFlags other;
  other.nsa_window = 512;
  const std::string e = load_error(scratch.path(), attention::parse_variant("nsa", other));
  EXPECT_NE(e.find("--nsa-window 512 conflicts with " + config.string() + ": \"gptbench.nsa_window\" is 12"),
            std::string::npos) << e;
  // The record applies only to its own variant: the checkpoint still loads as standard.
  EXPECT_EQ(load_error(scratch.path(), {}), "");
  // A malformed record is refused naming the key.
  nlohmann::json broken = io::read_json_file(config);
  broken["gptbench"]["nsa_topk"] = "many";
  io::write_json_atomic(config, broken);
  const std::string m = load_error(scratch.path(), attention::parse_variant("nsa"));
  EXPECT_NE(m.find(config.string() + ": \"gptbench.nsa_topk\""), std::string::npos) << m;
}

TEST(LearnedModel, ACheckpointWithoutRecordedOptionsLoadsAsBefore) {
  const Model nsa = trained_under(small_nsa());
  randomise_nsa(*nsa);
  test_support::TempDir scratch;
  model::save_model(*nsa, scratch.path());
  const std::filesystem::path config = scratch.path() / "config.json";
  nlohmann::json old = io::read_json_file(config);
  old["gptbench"] = {{"variant", "nsa"}};  // what checkpoints recorded before the options were
  io::write_json_atomic(config, old);
  // The flags it was trained with give it back; without them the defaults, refused by the shape check.
  const model::LoadedModel loaded = model::load_model(scratch.path(), small_nsa(), at::kFloat, c10::kCPU);
  const Prompts prompts = random_prompts({33}, 13);
  EXPECT_TRUE(at::equal(batch_logits(*nsa, prompts, model::LogitsMode::kAllPositions),
                        batch_logits(*loaded.model, prompts, model::LogitsMode::kAllPositions)));
  EXPECT_NE(load_error(scratch.path(), attention::parse_variant("nsa")).find("nsa_cmp_k_weight"), std::string::npos);
}

TEST(LearnedModel, PerformerCheckpointRecordsItsFeaturesWhichNoShapeWouldCatch) {
  attention::VariantFlags flags;
  flags.features = 32;
  flags.feature_seed = 5;
  const Model performer = trained_under(attention::parse_variant("performer", flags));
  test_support::TempDir scratch;
  model::save_model(*performer, scratch.path());
  const model::LoadedModel loaded =
      model::load_model(scratch.path(), attention::parse_variant("performer"), at::kFloat, c10::kCPU);
  EXPECT_EQ(loaded.model->spec().learned.features, 32);
  EXPECT_EQ(loaded.model->spec().learned.feature_seed, 5u);
  const Prompts prompts = random_prompts({21}, 14);
  EXPECT_TRUE(at::equal(batch_logits(*performer, prompts, model::LogitsMode::kAllPositions),
                        batch_logits(*loaded.model, prompts, model::LogitsMode::kAllPositions)));
  EXPECT_EQ(loaded.model->make_cache(at::zeros({1}, at::kLong), 8)->bytes(), 2 * 1 * 4 * 32 * (16 + 1) * 4);
}
