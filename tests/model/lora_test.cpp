// LoRA adapters (model/lora.h) on tiny GPT-2 and Llama models, CPU: a zero B leaves the logits exactly
// the base's; the gradients of A and B equal central finite differences in fp64; merged equals unmerged
// within fp32 rounding; save -> load is exact; the target table and its aliases; a quantized base takes
// an unmerged adapter and refuses a merge; broken adapter folders fail in one line naming file and key.
#include <ATen/Context.h>            // at::manual_seed
#include <ATen/TensorOperators.h>     // Tensor operators
#include <ATen/ops/allclose.h>        // at::allclose
#include <ATen/ops/equal.h>           // at::equal
#include <ATen/ops/randn.h>           // at::randn
#include <ATen/ops/zeros.h>           // at::zeros
#include <c10/core/GradMode.h>        // c10::NoGradGuard
#include <gtest/gtest.h>              // TEST, EXPECT_*
#include <torch/csrc/autograd/function.h>  // torch::autograd::Node, Edge

#include <algorithm>  // std::count_if
#include <cmath>    // std::abs
#include <set>      // std::set
#include <fstream>  // std::ofstream
#include <memory>   // std::shared_ptr
#include <string>   // std::string
#include <vector>   // std::vector

#include <nlohmann/json.hpp>  // nlohmann::json

#include "../support/autocast.h"                 // test_support::Autocast
#include "../support/central_difference.h"       // test_support::central_difference
#include "../support/temp_dir.h"                 // test_support::TempDir
#include "gptbench/io/atomic_file.h"             // read_file
#include "gptbench/io/safetensors.h"             // write_safetensors
#include "gptbench/model/frozen_projections.h"   // hold_frozen_projections_in
#include "gptbench/model/llama_config.h"         // find_named_llama_config
#include "gptbench/model/lora.h"                 // attach_lora, save_lora, load_lora, lora_sites, ...
#include "gptbench/model/model_family.h"         // init_model
#include "gptbench/model/model_quantization.h"   // quantize_model
#include "gptbench/quant/quant_format.h"         // QuantSpec, QuantFormat
#include "gptbench/util/error.h"                 // Error, UsageError
#include "tiny_model_fixture.h"                  // tiny_config, random_prompts, batch_logits

namespace gptbench::model {
namespace {

using test_support::TempDir;
using testing::batch_logits;
using testing::random_prompts;
namespace fs = std::filesystem;

std::shared_ptr<CausalLm> tiny_gpt2() {
  auto m = init_model(testing::tiny_config(511), 7);
  m->eval();
  return m;
}

std::shared_ptr<CausalLm> tiny_llama() {
  auto m = init_model(*find_named_llama_config("llama-tiny"), 7);
  m->eval();
  return m;
}

at::Tensor logits(CausalLm& m) {
  return batch_logits(m, random_prompts({9, 5}, 3, 511), LogitsMode::kAllPositions);
}

// Every B drawn at random (a fresh adapter's B is 0, which would hide most mistakes).
void randomise_b(CausalLm& m, uint64_t seed) {
  at::manual_seed(seed);
  c10::NoGradGuard no_grad;
  for (auto& [name, p] : lora_parameters(m))
    if (name.size() > 2 && name.substr(name.size() - 2) == ".B") p.copy_(at::randn(p.sizes()) * 0.05);
}

LoraSettings settings(std::vector<std::string> targets = {}) {
  LoraSettings s;
  s.rank = 4;
  s.alpha = 8;
  s.targets = std::move(targets);
  return s;
}

TEST(Lora, ZeroBLeavesTheLogitsExactlyTheBase) {
  for (auto make : {tiny_gpt2, tiny_llama}) {
    auto m = make();
    const at::Tensor base = logits(*m);
    attach_lora(*m, settings(), 1);
    EXPECT_GT(lora_parameter_count(*m), 0);
    EXPECT_TRUE(at::equal(logits(*m), base)) << m->shape().family;
  }
}

TEST(Lora, SitesFollowTheFamilyTableAndItsAliases) {
  auto gpt2 = tiny_gpt2();
  EXPECT_EQ(lora_sites(*gpt2, {}, "--lora-targets").size(), 8u);  // 2 layers x c_attn, attn.c_proj, c_fc, mlp.c_proj
  const auto qkv = lora_sites(*gpt2, {"qkv"}, "--lora-targets");
  ASSERT_EQ(qkv.size(), 2u);
  EXPECT_EQ(qkv[0].hf_module, "transformer.h.0.attn.c_attn");
  EXPECT_EQ(lora_sites(*gpt2, {"fc_proj"}, "--lora-targets")[1].hf_module, "transformer.h.1.mlp.c_proj");
  EXPECT_EQ(lora_sites(*gpt2, {"c_proj"}, "--lora-targets").size(), 4u);  // PEFT's: attn's and mlp's
  EXPECT_EQ(lora_peft_targets(*gpt2, {"qkv", "fc"}), (std::vector<std::string>{"attn.c_attn", "mlp.c_fc"}));
  try {
    lora_sites(*gpt2, {"q_proj"}, "--lora-targets");
    ADD_FAILURE() << "q_proj matched a GPT-2 module";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--lora-targets: \"q_proj\" matches no linear layer"), std::string::npos)
        << e.what();
  }
  auto llama = tiny_llama();
  const auto kv = lora_sites(*llama, {"k_proj", "v_proj"}, "--lora-targets");
  ASSERT_EQ(kv.size(), 2u * static_cast<size_t>(llama->shape().n_layer));
  EXPECT_EQ(kv[0].projection, "layers.0.self_attn.qkv_proj");
  EXPECT_EQ(kv[0].hf_module, "model.layers.0.self_attn.k_proj");
  EXPECT_EQ(kv[0].row0, kv[0].in);  // q's rows first: n_embd of them
  EXPECT_EQ(kv[1].row0, kv[0].row0 + kv[0].rows);
}

// d(sum(logits * w))/dA and /dB by autograd against central differences, all in fp64 (sdpa: the
// standard kernel computes its scores in fp32). With a trainable base the projections run their base
// and lora_add; frozen (as in training), lora_linear.
void check_gradients_of_a_and_b(bool frozen) {
  SCOPED_TRACE(frozen ? "frozen base" : "trainable base");
  auto m = with_attention(*tiny_gpt2(), attention::parse_variant("sdpa"));
  m->to(at::kDouble);
  if (frozen) {
    for (const at::Tensor& p : m->parameters()) p.set_requires_grad(false);
  }
  attach_lora(*m, settings({"c_attn", "c_fc"}), 2);
  m->to(at::kDouble);
  randomise_b(*m, 3);
  const testing::Prompts prompts = random_prompts({6}, 4, 511);
  auto batch = left_pad(prompts, kPadId, c10::kCPU);
  attention::AttentionPositions pos{batch.key_start, 0, {}, batch.left_padded};
  at::manual_seed(5);
  const at::Tensor w = at::randn({1, 6, 512}, at::kDouble);
  auto objective = [&] { return (m->forward(batch.ids, pos, nullptr, LogitsMode::kAllPositions) * w).sum(); };
  ASSERT_EQ(objective().scalar_type(), at::kDouble);
  const auto params = lora_parameters(*m);
  ASSERT_EQ(params.size(), 8u);  // 2 layers x 2 sites x (A, B)
  for (const auto& [name, p] : params) {
    if (p.grad().defined()) p.mutable_grad().zero_();
  }
  objective().backward();
  const double eps = 1e-6;
  for (const auto& [name, p] : params) {
    const at::Tensor grad = p.grad().clone();
    ASSERT_TRUE(grad.defined()) << name;
    for (int64_t flat : {int64_t{0}, p.numel() / 2, p.numel() - 1}) {
      const double fd = test_support::central_difference(p, flat, eps, objective);
      const double ad = grad.view(-1)[flat].item<double>();
      EXPECT_NEAR(ad, fd, 1e-6 + 1e-5 * std::abs(fd)) << name << "[" << flat << "]";
    }
  }
}

TEST(Lora, GradientsOfAAndBEqualFiniteDifferences) {
  check_gradients_of_a_and_b(/*frozen=*/false);
  check_gradients_of_a_and_b(/*frozen=*/true);
}

// The names of every node of the autograd graph behind `root`.
std::vector<std::string> graph_nodes(const at::Tensor& root) {
  std::vector<std::string> names;
  std::vector<torch::autograd::Node*> todo = {root.grad_fn().get()};
  std::set<torch::autograd::Node*> seen;
  while (!todo.empty()) {
    torch::autograd::Node* n = todo.back();
    todo.pop_back();
    if (n == nullptr || !seen.insert(n).second) continue;
    names.push_back(n->name());
    for (const torch::autograd::Edge& e : n->next_edges()) todo.push_back(e.function.get());
  }
  return names;
}

size_t count_containing(const std::vector<std::string>& names, const std::string& part) {
  return static_cast<size_t>(std::count_if(names.begin(), names.end(),
                                           [&](const std::string& n) { return n.find(part) != std::string::npos; }));
}

// Training as the trainer sets it up (the base frozen, train mode): each adapted projection is one
// autograd node (model/lora_linear.h) with no linear, matmul, scale or add nodes of its own, and a
// backward gives gradients to A and B alone.
TEST(Lora, TrainingRunsOneNodePerAdaptedProjectionAndTrainsOnlyTheAdapters) {
  auto m = with_attention(*tiny_gpt2(), attention::parse_variant("sdpa"));
  for (const at::Tensor& p : m->parameters()) p.set_requires_grad(false);
  attach_lora(*m, settings(), 2);
  randomise_b(*m, 3);
  m->train();
  const testing::Prompts prompts = random_prompts({6, 4}, 4, 511);
  auto batch = left_pad(prompts, kPadId, c10::kCPU);
  attention::AttentionPositions pos{batch.key_start, 0, {}, batch.left_padded};
  const at::Tensor logits = m->forward(batch.ids, pos, nullptr, LogitsMode::kAllPositions);
  const std::vector<std::string> nodes = graph_nodes(logits);
  EXPECT_EQ(count_containing(nodes, "LoraNode"), 8u);  // 2 layers x c_attn, attn.c_proj, c_fc, mlp.c_proj
  // Unfused, each site added AddmmBackward0 (its base with bias), MmBackward0 / MulBackward0 (the
  // update) and AddBackward0 (the sum); the tied lm_head (no bias) is the only other linear.
  EXPECT_EQ(count_containing(nodes, "AddmmBackward"), 0u);
  EXPECT_EQ(count_containing(nodes, "MulBackward"), 0u);
  logits.sum().backward();
  size_t with_grad = 0;
  for (const auto& item : m->named_parameters()) {
    const bool adapter = item.key().find(".lora.") != std::string::npos;
    EXPECT_EQ(item.value().grad().defined(), adapter) << item.key();
    with_grad += item.value().grad().defined() ? 1 : 0;
  }
  EXPECT_EQ(with_grad, lora_parameters(*m).size());
}

// hold_frozen_projections_in: under autocast (CPU, bf16) the projections held in bf16 give the logits
// and adapter gradients of the fp32-held ones bit for bit (autocast rounds the weights the same way);
// embeddings, norms and the adapters keep fp32.
TEST(Lora, FrozenProjectionsHeldInBf16ChangeNothingUnderAutocast) {
  std::vector<at::Tensor> got_logits, got_grads;
  for (bool held : {false, true}) {
    auto m = with_attention(*tiny_gpt2(), attention::parse_variant("sdpa"));
    for (const at::Tensor& p : m->parameters()) p.set_requires_grad(false);
    if (held) {
      EXPECT_EQ(hold_frozen_projections_in(*m, at::kBFloat16), 2 * (64 * 192 + 192 + 64 * 64 + 64 + 2 * (64 * 256) + 256 + 64));
    }
    attach_lora(*m, settings(), 2);
    randomise_b(*m, 3);
    m->train();
    for (const auto& item : m->named_parameters()) {
      const std::string& name = item.key();
      const bool projection = name.find(".lora.") == std::string::npos &&
                              (name.find("c_attn") != std::string::npos || name.find("c_proj") != std::string::npos ||
                               name.find("c_fc") != std::string::npos);
      EXPECT_EQ(item.value().scalar_type(), held && projection ? at::kBFloat16 : at::kFloat) << name;
    }
    auto batch = left_pad(random_prompts({6, 4}, 4, 511), kPadId, c10::kCPU);
    attention::AttentionPositions pos{batch.key_start, 0, {}, batch.left_padded};
    at::Tensor logits;
    {
      const test_support::Autocast autocast(at::kCPU, at::kBFloat16);
      logits = m->forward(batch.ids, pos, nullptr, LogitsMode::kAllPositions);
    }
    logits.to(at::kFloat).sum().backward();
    got_logits.push_back(logits.detach());
    got_grads.push_back(lora_parameters(*m)[0].second.grad());
  }
  EXPECT_EQ(got_logits[0].scalar_type(), at::kBFloat16);
  EXPECT_TRUE(at::equal(got_logits[0], got_logits[1]));
  EXPECT_TRUE(at::equal(got_grads[0], got_grads[1]));
}

TEST(Lora, SaveLoadRoundTripAndMergedEqualsUnmerged) {
  for (auto make : {tiny_gpt2, tiny_llama}) {
    TempDir dir;
    auto trained = make();
    // Llama: q and v of the fused qkv_proj (k's rows between them stay unadapted) and down_proj.
    const LoraSettings s = settings(trained->shape().family == "gpt2"
                                        ? std::vector<std::string>{}
                                        : std::vector<std::string>{"q_proj", "v_proj", "down_proj"});
    attach_lora(*trained, s, 1);
    randomise_b(*trained, 9);
    const at::Tensor adapted = logits(*trained);
    const int64_t bytes = save_lora(*trained, s, dir.path() / "adapter", "base");
    EXPECT_EQ(bytes, static_cast<int64_t>(fs::file_size(dir.path() / "adapter" / "adapter_model.safetensors")));
    const nlohmann::json config = nlohmann::json::parse(io::read_file(dir.path() / "adapter" / "adapter_config.json"));
    EXPECT_EQ(config.at("peft_type"), "LORA");
    EXPECT_EQ(config.at("fan_in_fan_out"), trained->shape().family == "gpt2");

    auto unmerged = make();
    const LoadedLora u = load_lora(*unmerged, dir.path() / "adapter", LoraApply::kUnmerged);
    EXPECT_FALSE(u.merged);
    EXPECT_EQ(u.parameters, lora_parameter_count(*trained));
    const auto a = lora_parameters(*trained), b = lora_parameters(*unmerged);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].first, b[i].first);
      EXPECT_TRUE(at::equal(a[i].second, b[i].second)) << a[i].first;
    }
    EXPECT_TRUE(at::equal(logits(*unmerged), adapted)) << trained->shape().family;

    auto merged = make();
    EXPECT_TRUE(load_lora(*merged, dir.path() / "adapter", LoraApply::kMerge).merged);
    EXPECT_TRUE(lora_parameters(*merged).empty());
    const at::Tensor m = logits(*merged);
    EXPECT_TRUE(at::allclose(m, adapted, 1e-4, 1e-5)) << (m - adapted).abs().max().item<double>();
    EXPECT_FALSE(at::allclose(m, logits(*make()), 1e-4, 1e-5));  // the adapter changed something
  }
}

TEST(Lora, AQuantizedBaseTakesAnUnmergedAdapterAndRefusesAMerge) {
  TempDir dir;
  auto trained = tiny_gpt2();
  attach_lora(*trained, settings(), 1);
  save_lora(*trained, settings(), dir.path(), "base");  // B = 0
  quant::QuantSpec spec;
  spec.format = quant::QuantFormat::kInt8;
  auto base = tiny_gpt2();
  quantize_model(*base, spec, false);
  auto q = tiny_gpt2();
  quantize_model(*q, spec, false);
  load_lora(*q, dir.path(), LoraApply::kUnmerged);
  EXPECT_TRUE(at::equal(logits(*q), logits(*base)));
  try {
    load_lora(*base, dir.path(), LoraApply::kMerge);
    ADD_FAILURE() << "merged into a quantized weight";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--adapter-unmerged"), std::string::npos) << e.what();
  }
}

// A saved adapter folder with one thing broken; load_lora must name `file` and `needle`.
class BrokenAdapter : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = tiny_gpt2();
    attach_lora(*m, settings({"c_fc"}), 1);
    save_lora(*m, settings({"c_fc"}), dir_.path(), "base");
    config_ = nlohmann::json::parse(io::read_file(dir_.path() / "adapter_config.json"));
  }
  void write_config() { std::ofstream(dir_.path() / "adapter_config.json") << config_.dump(); }
  void write_tensors(const std::vector<std::pair<std::string, std::vector<int64_t>>>& tensors) {
    std::vector<std::vector<float>> data;
    std::vector<io::TensorToWrite> out;
    for (const auto& [name, shape] : tensors) {
      int64_t n = 1;
      for (int64_t d : shape) n *= d;
      data.emplace_back(static_cast<size_t>(n), 0.f);
      out.push_back({name, io::DType::kF32, shape, data.back().data(), data.back().size() * sizeof(float)});
    }
    io::write_safetensors(dir_.path() / "adapter_model.safetensors", out);
  }
  void expect_error(const std::string& file, const std::string& needle) {
    auto m = tiny_gpt2();
    try {
      load_lora(*m, dir_.path(), LoraApply::kUnmerged);
      ADD_FAILURE() << "loaded; expected an error naming " << needle;
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find((dir_.path() / file).string()), std::string::npos) << what;
      EXPECT_NE(what.find(needle), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
  }
  TempDir dir_;
  nlohmann::json config_;
  const std::string a_ = "base_model.model.transformer.h.0.mlp.c_fc.lora_A.weight";
  const std::string b_ = "base_model.model.transformer.h.0.mlp.c_fc.lora_B.weight";
};

TEST_F(BrokenAdapter, MissingFiles) {
  fs::remove(dir_.path() / "adapter_model.safetensors");
  expect_error("adapter_model.safetensors", "adapter_model.safetensors");
  fs::remove(dir_.path() / "adapter_config.json");
  expect_error("adapter_config.json", "adapter_config.json");
}

TEST_F(BrokenAdapter, WrongShape) {
  write_tensors({{a_, {4, 64}}, {b_, {256, 3}}});
  expect_error("adapter_model.safetensors", "\"" + b_ + "\" has shape [256, 3], expected [256, 4]");
}

TEST_F(BrokenAdapter, UnknownKeyAndMissingPartner) {
  write_tensors({{a_, {4, 64}}, {b_, {256, 4}}, {"base_model.model.transformer.h.0.mlp.c_fc.lora_magnitude_vector", {256}}});
  expect_error("adapter_model.safetensors", "\"base_model.model.transformer.h.0.mlp.c_fc.lora_magnitude_vector\" is not");
  write_tensors({{a_, {4, 64}}, {"base_model.model.transformer.h.9.mlp.c_fc.lora_B.weight", {256, 4}}});
  expect_error("adapter_model.safetensors", "h.9.mlp.c_fc.lora_B.weight\" is not a LoRA weight");
  write_tensors({{a_, {4, 64}}});
  expect_error("adapter_model.safetensors", "has no \"" + b_ + "\"");
}

TEST_F(BrokenAdapter, UnsupportedSettings) {
  const std::vector<std::pair<std::string, nlohmann::json>> cases = {
      {"use_dora", true},         {"use_rslora", true},   {"modules_to_save", {"lm_head"}},
      {"bias", "all"},            {"peft_type", "IA3"},   {"rank_pattern", {{"c_fc", 8}}},
      {"r", 0},                   {"lora_alpha", "x"}};
  const nlohmann::json good = config_;
  for (const auto& [key, value] : cases) {
    config_ = good;
    config_[key] = value;
    write_config();
    expect_error("adapter_config.json", "\"" + key + "\"");
  }
}

}  // namespace
}  // namespace gptbench::model
