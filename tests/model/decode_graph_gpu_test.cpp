// Greedy decoding replayed from a CUDA graph gives the tokens eager decoding gives, for flash and
// flash+alibi, with left padding, early EOS (rows stopping at different steps), EOS suppression
// before min_new_tokens, and one graph reused across batches. Skips (saying so) without CUDA.
#include <gtest/gtest.h>  // TEST, EXPECT_*, GTEST_SKIP
#include <torch/cuda.h>   // torch::cuda::is_available

#include <algorithm>  // std::find
#include <cstdio>     // std::printf

#include "gptbench/attention/variant.h"     // parse_variant
#include "gptbench/model/decode_graph.h"    // DecodeGraphs, decode_graph_unsupported_reason
#include "gptbench/model/generator.h"       // generate_greedy
#include "gptbench/model/checkpoint.h"      // copy_parameters
#include "gptbench/model/gpt2_model.h"      // Gpt2Model
#include "gptbench/model/model_family.h"  // find_family (init_weights)
#include "../support/gemv_name.h"           // test_support::gemv_name
#include "tiny_model_fixture.h"             // random_prompts

using namespace gptbench;

namespace {

// Head dim 64 (what the flash kernels take): 2 layers, 2 heads, width 128, vocabulary 512.
model::Gpt2Config graph_config(int64_t eos) {
  model::Gpt2Config c = gptbench::testing::tiny_config(eos);
  c.n_head = 2;
  c.n_embd = 128;
  return c;
}

// The same seeded weights under `variant`, fp16 on the GPU.
model::Gpt2Model make_model(const std::string& variant, int64_t eos, const attention::VariantFlags& flags = {}) {
  torch::manual_seed(7);
  model::Gpt2Model base(graph_config(eos), attention::parse_variant("standard", {}));
  model::find_family(base->shape().family, "test").init_weights(*base, 7);  // the builder leaves weights unset
  // Random weights with a tied lm_head repeat the prompt's last token forever (its embedding dominates
  // the residual stream, so it scores highest against itself): measured, every row constant. A negated
  // final LayerNorm gain makes that token score lowest instead, so the greedy text wanders through the
  // vocabulary and the tests below compare varied sequences, with EOS reachable mid-way.
  {
    c10::NoGradGuard no_grad;
    base->named_parameters()["ln_f.weight"].neg_();
  }
  model::Gpt2Model m(base->config(), attention::parse_variant(variant, flags));
  model::copy_parameters(*base, *m);
  m->to(c10::Device(c10::kCUDA, 0), at::kHalf);
  m->eval();
  return m;
}

struct Generated {
  std::vector<model::GeneratedSequence> out;
  model::GenerationStats stats;
};

Generated generate(model::Gpt2Model& m, const gptbench::testing::Prompts& prompts, int64_t max_new, int64_t min_new,
             model::DecodeGraphs* graphs) {
  model::GenerationOptions options;
  options.max_new_tokens = max_new;
  options.min_new_tokens = min_new;
  options.graphs = graphs;
  options.force_graph = true;  // graph decode wherever the model supports it (the auto rule is tested below)
  Generated r;
  r.out = model::generate_greedy(*m, prompts, options, {}, &r.stats);
  return r;
}

void expect_same(const Generated& eager, const Generated& graph, const std::string& what) {
  EXPECT_FALSE(eager.stats.graph_decode) << what;
  EXPECT_TRUE(graph.stats.graph_decode) << what;
  ASSERT_EQ(eager.out.size(), graph.out.size()) << what;
  for (size_t r = 0; r < eager.out.size(); ++r) {
    EXPECT_EQ(eager.out[r].tokens, graph.out[r].tokens) << what << ", row " << r;
    EXPECT_EQ(eager.out[r].stopped_at_eos, graph.out[r].stopped_at_eos) << what << ", row " << r;
  }
}

#define SKIP_WITHOUT_CUDA() \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device: CUDA-graph decode not tested here"

}  // namespace

TEST(DecodeGraph, SameTokensAsEagerDecode) {
  SKIP_WITHOUT_CUDA();
  const gptbench::testing::Prompts prompts = gptbench::testing::random_prompts({37, 5, 20}, 11);
  // flash+sparse with W 16 and 2 sinks, so that decode runs far past the window: eagerly from the
  // rolling cache (16 + 2 slots), in the graph from a dense cache through the window policy.
  for (const std::string variant : {"flash", "flash+alibi", "flash+sparse"}) {
    const bool sparse = variant == "flash+sparse";
    model::Gpt2Model m = make_model(variant, /*eos=*/-1, sparse ? attention::VariantFlags{16, 2} : attention::VariantFlags{});
    model::DecodeGraphs graphs;
    const Generated eager = generate(m, prompts, 40, 0, nullptr);
    const Generated graph = generate(m, prompts, 40, 0, &graphs);
    expect_same(eager, graph, variant);
    if (sparse) {
      EXPECT_NE(eager.stats.decode_kernel.find("window_rolling"), std::string::npos) << eager.stats.decode_kernel;
      EXPECT_NE(graph.stats.decode_kernel.find("_window"), std::string::npos) << graph.stats.decode_kernel;
      EXPECT_EQ(graph.stats.decode_kernel.find("rolling"), std::string::npos) << graph.stats.decode_kernel;
    }
    EXPECT_EQ(graph.out[0].tokens.size(), 40u) << variant;
    EXPECT_NE(graph.stats.decode_kernel.find("flash_decode"), std::string::npos) << graph.stats.decode_kernel;
    // Both decode paths run the projections through our GEMV (3 rows, fp16), the KV store fused
    // into the graph's qkv projection; the eager path's and the graph's tokens agree above.
    EXPECT_EQ(graph.stats.decode_linear, test_support::gemv_name("gemv_fp16_rows3")) << graph.stats.decode_linear;
    EXPECT_EQ(eager.stats.decode_linear, test_support::gemv_name("gemv_fp16_rows3")) << eager.stats.decode_linear;
    std::printf("[ graph ] %s: 3 rows x 40 tokens identical, decode kernels %s, %s\n", variant.c_str(),
                graph.stats.decode_kernel.c_str(), graph.stats.decode_linear.c_str());
  }
}

TEST(DecodeGraph, OneCaptureServesBatchesOfOneShape) {
  SKIP_WITHOUT_CUDA();
  model::Gpt2Model m = make_model("flash", -1);
  model::DecodeGraphs graphs;
  const Generated first = generate(m, gptbench::testing::random_prompts({30, 12}, 1), 16, 0, &graphs);
  const Generated second = generate(m, gptbench::testing::random_prompts({25, 31}, 2), 16, 0, &graphs);  // same capacity bucket
  EXPECT_EQ(graphs.stats().decode, 1);
  // The reused graph starts each batch from its own prompt: same tokens as eager decoding.
  expect_same(generate(m, gptbench::testing::random_prompts({25, 31}, 2), 16, 0, nullptr), second, "reused graph");
  generate(m, gptbench::testing::random_prompts({25}, 3), 16, 0, &graphs);  // another batch size: another graph
  EXPECT_EQ(graphs.stats().decode, 2);
}

TEST(DecodeGraph, EarlyEosAndMinNewTokens) {
  SKIP_WITHOUT_CUDA();
  const gptbench::testing::Prompts prompts = gptbench::testing::random_prompts({20, 9, 33, 14}, 5);
  // Make EOS a token the model really produces mid-way, so rows stop at different steps: the latest first
  // occurrence of a token in any row of a free run (random weights fall into loops, so a fixed index of a
  // fixed row could be a token seen earlier). That row then stops right before it.
  model::Gpt2Model probe = make_model("flash", -1);
  const Generated free_run = generate(probe, prompts, 24, 0, nullptr);
  size_t row = 0, stop = 0;
  for (size_t r = 0; r < free_run.out.size(); ++r) {
    const auto& t = free_run.out[r].tokens;
    for (size_t i = stop + 1; i < t.size(); ++i)
      if (std::find(t.begin(), t.begin() + i, t[i]) == t.begin() + i) row = r, stop = i;
  }
  std::string rows;
  for (const auto& seq : free_run.out) {
    rows += "\n ";
    for (auto tok : seq.tokens) rows += " " + std::to_string(tok);
  }
  ASSERT_GE(stop, 2u) << "no row of the free run has a new token after its second:" << rows;
  std::printf("[ eos      ] row %zu, token %zu of:%s\n", row, stop, rows.c_str());
  const int64_t eos = free_run.out[row].tokens[stop];
  model::Gpt2Model m = make_model("flash", eos);
  for (int64_t min_new : {0, 12}) {
    model::DecodeGraphs graphs;
    const Generated eager = generate(m, prompts, 24, min_new, nullptr);
    const Generated graph = generate(m, prompts, 24, min_new, &graphs);
    const std::string what = "eos " + std::to_string(eos) + ", min_new " + std::to_string(min_new);
    expect_same(eager, graph, what);
    // Without suppression that row stops before its token `stop`; with it, no row stops before min_new tokens
    // (the text after that diverges and need not reach EOS again).
    if (min_new == 0) {
      EXPECT_TRUE(graph.out[row].stopped_at_eos && graph.out[row].tokens.size() == stop)
          << what << ", row " << row << ", stop " << stop;
    }
    for (const auto& row : graph.out) EXPECT_GE(static_cast<int64_t>(row.tokens.size()), min_new) << what;
    EXPECT_LE(graph.stats.wasted_steps, 1) << what;
    for (const auto& row : graph.out)
      for (size_t i = 0; i < row.tokens.size(); ++i) EXPECT_NE(row.tokens[i], eos) << what;
  }
}

TEST(DecodeGraph, UnsupportedVariantsDecodeEagerlyAndSayWhy) {
  SKIP_WITHOUT_CUDA();
  EXPECT_NE(model::decode_graph_unsupported_reason(*make_model("standard", -1)).find("flash"), std::string::npos);
  EXPECT_NE(model::decode_graph_unsupported_reason(*make_model("sdpa+sparse", -1)).find("flash"), std::string::npos);
  EXPECT_EQ(model::decode_graph_unsupported_reason(*make_model("flash", -1)), "");
  EXPECT_EQ(model::decode_graph_unsupported_reason(*make_model("flash+sparse", -1)), "");
  // --decode auto: a window decodes from the graph's dense cache only up to 4x its rolling cache.
  model::Gpt2Model windowed = make_model("flash+sparse", -1, attention::VariantFlags{16, 2});
  EXPECT_EQ(model::decode_graph_declined_reason(*windowed, 4 * 18), "");
  EXPECT_NE(model::decode_graph_declined_reason(*windowed, 4 * 18 + 1).find("dense cache of 73"), std::string::npos);
  EXPECT_EQ(model::decode_graph_declined_reason(*make_model("flash", -1), 100000), "");
  {
    model::DecodeGraphs auto_graphs;
    model::GenerationOptions options;
    options.max_new_tokens = 70;  // 10 + 70 = 80 positions > 72
    options.graphs = &auto_graphs;
    model::GenerationStats stats;
    model::generate_greedy(*windowed, gptbench::testing::random_prompts({10}, 4), options, {}, &stats);
    EXPECT_FALSE(stats.graph_decode);
    EXPECT_NE(stats.graph_declined.find("rolling cache"), std::string::npos) << stats.graph_declined;
    EXPECT_EQ(auto_graphs.stats().decode, 0);
  }
  model::Gpt2Model sdpa = make_model("sdpa", -1);
  model::DecodeGraphs graphs;
  const Generated r = generate(sdpa, gptbench::testing::random_prompts({10}, 4), 8, 0, &graphs);
  EXPECT_FALSE(r.stats.graph_decode);
  EXPECT_EQ(graphs.stats().decode, 0);
}

