// Llama/Mistral models on the CPU: grouped-query attention equals multi-head attention with the K/V heads repeated,
// cached decode and left-padded batches equal the cache-free forward (dense and Mistral's rolling window),
// checkpoints round-trip through save/load, and bad checkpoints are refused naming the tensor.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <ATen/TensorOperators.h>   // Tensor operators (-)
#include <ATen/ops/cat.h>            // at::cat
#include <ATen/ops/randint.h>        // at::randint
#include <ATen/ops/zeros.h>          // at::zeros
#include <c10/core/InferenceMode.h>  // c10::InferenceMode

#include <cstdio>      // std::remove
#include <filesystem>  // std::filesystem
#include <string>      // std::string
#include <vector>      // std::vector

#include <ftw.h>     // nftw
#include <unistd.h>  // getpid

#include "gptbench/io/json_input.h"            // read_json_file
#include "gptbench/io/json_output.h"           // write_json_atomic
#include "gptbench/model/generator.h"          // left_pad, kPadId
#include "gptbench/model/checkpoint.h"         // load_model, save_model
#include "gptbench/model/llama_config.h"       // find_named_llama_config
#include "gptbench/model/model_family.h"       // init_model, with_attention
#include "gptbench/util/error.h"               // Error

namespace fs = std::filesystem;
using gptbench::attention::AttentionPositions;
using gptbench::attention::AttentionSpec;
using gptbench::model::LlamaConfig;
using gptbench::model::LogitsMode;
using Model = std::shared_ptr<gptbench::model::CausalLm>;

namespace {

LlamaConfig tiny(const char* name) { return *gptbench::model::find_named_llama_config(name); }

Model init(const LlamaConfig& config, uint64_t seed) { return gptbench::model::init_model(config, seed); }

// `from`'s weights in a model of the same config whose attention is the dense-mask reference.
Model with_reference(const Model& from) {
  const AttentionSpec spec = from->spec();
  return gptbench::model::with_attention(*from, spec, gptbench::attention::make_reference_attention(spec));
}

at::Tensor full_logits(const Model& m, const at::Tensor& ids) {  // ids (B, T) -> (B, T, V)
  const at::Tensor start = at::zeros({ids.size(0)}, at::kLong);
  return m->forward(ids, AttentionPositions{start, 0, {}, false}, nullptr, LogitsMode::kAllPositions);
}

// std::filesystem::remove_all resolves into libtorch's copy of it, which crashes: POSIX nftw instead.
void remove_tree(const fs::path& dir) {
  nftw(dir.c_str(), [](const char* path, const struct stat*, int, struct FTW*) { return ::remove(path); }, 16,
       FTW_DEPTH | FTW_PHYS);
}

fs::path temp_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("llama_model_test_" + name + "_" + std::to_string(::getpid()));
  remove_tree(dir);
  return dir;
}

double max_diff(const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().max().item<double>(); }

}  // namespace

TEST(LlamaModel, GroupedQueryAttentionEqualsRepeatedKvHeads) {
  c10::InferenceMode guard;
  for (int64_t kv_heads : {1, 2, 4}) {
    LlamaConfig gqa = tiny("llama-tiny");
    gqa.num_key_value_heads = kv_heads;
    LlamaConfig mha = gqa;
    mha.num_key_value_heads = gqa.num_attention_heads;
    Model small = init(gqa, 3);
    Model big = init(mha, 4);
    const int64_t d = gqa.head_dim(), group = gqa.num_attention_heads / kv_heads;
    auto big_params = big->named_parameters();
    for (const auto& item : small->named_parameters()) {
      at::Tensor target = big_params[item.key()].detach();
      if (item.key().find("qkv_proj") == std::string::npos) {
        target.copy_(item.value());
        continue;
      }
      // q rows as they are; each k/v head h' of the MHA model is GQA head h' / group.
      const at::Tensor w = item.value();
      const at::Tensor q = w.narrow(0, 0, gqa.q_width());
      auto repeated = [&](int64_t row0) {
        return w.narrow(0, row0, gqa.kv_width()).view({kv_heads, d, -1}).repeat_interleave(group, 0).reshape(
            {mha.kv_width(), -1});
      };
      target.copy_(at::cat({q, repeated(gqa.q_width()), repeated(gqa.q_width() + gqa.kv_width())}, 0));
    }
    const at::Tensor ids = at::randint(0, gqa.vocab_size, {2, 11}, at::kLong);
    EXPECT_LT(max_diff(full_logits(small, ids), full_logits(big, ids)), 1e-5) << "kv heads " << kv_heads;
  }
}

TEST(LlamaModel, CachedDecodeAndLeftPaddedBatchEqualTheFullForward) {
  c10::InferenceMode guard;
  // mistral-tiny has window 16: 40 tokens run its rolling cache far past the window.
  for (const char* name : {"llama-tiny", "mistral-tiny"}) {
    const LlamaConfig config = tiny(name);
    Model model = init(config, 11);
    Model reference = with_reference(model);
    EXPECT_EQ(model->spec().window, config.sliding_window) << name;  // Mistral's window joins the spec
    const std::vector<std::vector<int32_t>> prompts = {
        std::vector<int32_t>(40, 0), std::vector<int32_t>(23, 0), std::vector<int32_t>(5, 0)};
    auto filled = prompts;
    for (auto& p : filled)
      for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<int32_t>((i * 37 + p.size() * 11) % config.vocab_size);
    const auto batch = gptbench::model::left_pad(filled, gptbench::model::kPadId, c10::Device(c10::kCPU));
    // Prefill all but the last 4 positions, then decode them one at a time.
    const int64_t t = batch.length, prefill = t - 4;
    auto cache = model->make_cache(batch.key_start, t);
    AttentionPositions positions{batch.key_start, 0, {}, true};
    std::vector<at::Tensor> steps = {model->forward(batch.ids.narrow(1, 0, prefill), positions, cache.get(),
                                                    LogitsMode::kAllPositions)};
    for (int64_t p = prefill; p < t; ++p) {
      positions.q_pos0 = p;
      steps.push_back(model->forward(batch.ids.narrow(1, p, 1), positions, cache.get(), LogitsMode::kAllPositions));
    }
    const at::Tensor cached = at::cat(steps, 1);  // (B, T, V)
    for (size_t r = 0; r < filled.size(); ++r) {
      const int64_t n = static_cast<int64_t>(filled[r].size());
      const at::Tensor alone = full_logits(reference, batch.ids.narrow(0, r, 1).narrow(1, t - n, n))[0];
      EXPECT_LT(max_diff(cached[r].narrow(0, t - n, n), alone), 1e-4) << name << " row " << r;
    }
  }
}

TEST(LlamaCheckpoint, SaveThenLoadGivesTheSameWeightsTiedOrNot) {
  for (bool tied : {false, true}) {
    LlamaConfig config = tiny("mistral-tiny");
    config.tie_word_embeddings = tied;
    Model model = init(config, 5);
    const fs::path dir = temp_dir(tied ? "tied" : "untied");
    gptbench::model::save_model(*model, dir);
    auto loaded = gptbench::model::load_model(dir, AttentionSpec{}, at::kFloat, c10::Device(c10::kCPU));
    EXPECT_EQ(loaded.model->shape().tied_lm_head, tied);
    EXPECT_EQ(loaded.model->spec().window, 16);
    EXPECT_EQ(loaded.checkpoint_bytes, config.parameter_count() * 4);
    auto params = loaded.model->named_parameters();
    EXPECT_EQ(params.size(), model->named_parameters().size());
    for (const auto& item : model->named_parameters()) EXPECT_TRUE(params[item.key()].equal(item.value())) << item.key();
    remove_tree(dir);
  }
}

TEST(LlamaCheckpoint, RefusesMismatchedOrIncompleteCheckpointsNamingTheTensor) {
  Model model = init(tiny("llama-tiny"), 5);
  const fs::path dir = temp_dir("bad");
  gptbench::model::save_model(*model, dir);
  auto load_error = [&dir]() -> std::string {
    try {
      gptbench::model::load_model(dir, AttentionSpec{}, at::kFloat, c10::Device(c10::kCPU));
    } catch (const gptbench::Error& e) {
      return e.what();
    }
    return "";
  };
  nlohmann::json config = gptbench::io::read_json_file(dir / "config.json");
  config["num_key_value_heads"] = 4;  // k_proj/v_proj in the file have 2 heads
  gptbench::io::write_json_atomic(dir / "config.json", config);
  EXPECT_NE(load_error().find("model.layers.0.self_attn.k_proj.weight has shape [16, 64]"), std::string::npos)
      << load_error();
  config["num_key_value_heads"] = 2;
  config["tie_word_embeddings"] = true;  // lm_head.weight is then ignored, and nothing is missing
  gptbench::io::write_json_atomic(dir / "config.json", config);
  EXPECT_EQ(load_error(), "");
  config["tie_word_embeddings"] = false;
  config["num_hidden_layers"] = 3;
  gptbench::io::write_json_atomic(dir / "config.json", config);
  EXPECT_NE(load_error().find("missing from the checkpoint, first: model.layers.2."), std::string::npos) << load_error();
  config["num_hidden_layers"] = 1;
  gptbench::io::write_json_atomic(dir / "config.json", config);
  EXPECT_NE(load_error().find("unexpected tensor(s) for a llama"), std::string::npos) << load_error();
  remove_tree(dir / "model.safetensors");
  EXPECT_NE(load_error().find(dir.string()), std::string::npos) << load_error();
  remove_tree(dir);
}
