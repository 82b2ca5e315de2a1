// Every attention variant computes what its name says, on a small random GPT-2 in fp32 (CPU;
// the same tests run on CUDA on the GPU machine when a device is present):
//  * sdpa == standard (logits within 1e-5, identical greedy tokens);
//  * sparse with W >= T == dense; sparse with small W (banded, with and without sinks) == the
//    brute-force full-mask reference, including the rolling KV cache 64+ steps past W;
//  * KV-cache decode == recomputing the whole sequence at every step, for every variant;
//  * a left-padded batch == each prompt alone, for every variant.
#include <ATen/ops/argmax.h>         // at::argmax
#include <ATen/ops/cat.h>            // at::cat
#include <ATen/ops/tensor.h>         // at::tensor
#include <c10/core/InferenceMode.h>  // c10::InferenceMode
#include <gtest/gtest.h>             // TEST, EXPECT_*
#include <torch/cuda.h>              // torch::cuda::is_available

#include <cstdlib>  // std::getenv
#include <memory>   // std::shared_ptr
#include <vector>   // std::vector

#include "gptbench/attention/variant.h"  // parse_variant
#include "gptbench/model/causal_lm.h"     // CausalLm (every model below is used through it)
#include "gptbench/model/model_family.h"  // init_model
#include "gptbench/model/generator.h"    // generate_greedy, left_pad
#include "tiny_model_fixture.h"          // TinyModels, random_prompts, batch_logits

using namespace gptbench;
using namespace gptbench::testing;

namespace {

// EOS outside the vocabulary: rows never stop early, every step is compared.
TinyModels tiny_models() { return TinyModels(model::init_model(tiny_config(50256), 1234)); }

using Model = std::shared_ptr<model::CausalLm>;

at::Tensor logits(const Model& m, const Prompts& prompts) {
  return batch_logits(*m, prompts, model::LogitsMode::kAllPositions);
}

// Greedy decoding that recomputes the whole sequence at every step (no KV cache).
Prompts greedy_recompute(const Model& m, const Prompts& prompts, int steps) {
  Prompts seqs = prompts, out(prompts.size());
  for (int s = 0; s < steps; ++s) {
    at::Tensor next = at::argmax(batch_logits(*m, seqs, model::LogitsMode::kLastPosition).select(1, 0), -1);
    for (size_t r = 0; r < seqs.size(); ++r) {
      seqs[r].push_back(static_cast<int32_t>(next[r].item<int64_t>()));
      out[r].push_back(seqs[r].back());
    }
  }
  return out;
}

Prompts greedy_cached(const Model& m, const Prompts& prompts, int steps) {
  model::GenerationOptions o;
  o.max_new_tokens = steps;
  Prompts out;
  for (const auto& g : model::generate_greedy(*m, prompts, o)) out.push_back(g.tokens);
  return out;
}

double max_diff_real_positions(const at::Tensor& a, const at::Tensor& b, const Prompts& prompts) {
  const int64_t t = a.size(1);
  double worst = 0;
  for (size_t r = 0; r < prompts.size(); ++r) {
    const int64_t start = t - static_cast<int64_t>(prompts[r].size());
    worst = std::max(worst, (a[r].narrow(0, start, t - start) - b[r].narrow(0, start, t - start))
                                .abs().max().item<double>());
  }
  return worst;
}

const char* kAllVariants[] = {"standard",     "sdpa",          "alibi",         "alibi-wpe",
                              "sdpa+alibi",   "sparse",        "sdpa+sparse",   "alibi+sparse",
                              "sdpa+alibi+sparse"};
attention::VariantFlags flags_for(const std::string& v) {
  return v.find("sparse") != std::string::npos ? attention::VariantFlags{int64_t{16}, int64_t{2}}
                                               : attention::VariantFlags{};
}

}  // namespace

TEST(VariantEquivalence, SdpaEqualsStandard) {
  TinyModels models = tiny_models();
  const Prompts prompts = random_prompts({37, 12, 50}, 1);
  for (const char* alibi : {"", "+alibi"}) {
    auto standard = models.with(std::string("standard") + alibi);
    auto sdpa = models.with(std::string("sdpa") + alibi);
    EXPECT_LE(max_diff_real_positions(logits(standard, prompts), logits(sdpa, prompts), prompts), 1e-5) << alibi;
    EXPECT_EQ(greedy_cached(standard, prompts, 24), greedy_cached(sdpa, prompts, 24)) << alibi;
  }
}

TEST(VariantEquivalence, SparseWithWindowCoveringTheSequenceEqualsDense) {
  TinyModels models = tiny_models();
  const Prompts prompts = random_prompts({30, 9}, 2);
  for (const char* kernel : {"standard", "sdpa"}) {
    auto dense = models.with(kernel);
    auto sparse = models.with(std::string(kernel) + "+sparse", {int64_t{64}, std::nullopt});
    EXPECT_EQ(greedy_cached(dense, prompts, 32), greedy_cached(sparse, prompts, 32)) << kernel;
  }
}

TEST(VariantEquivalence, BandedSparseMatchesTheDenseMaskReference) {
  TinyModels models = tiny_models();
  // Long enough that the banded path (query chunks of 64 over keys lo..hi) is taken.
  const Prompts prompts = random_prompts({200, 151}, 3);
  for (int64_t sinks : {0, 3}) {
    for (const char* v : {"sparse", "sdpa+sparse", "alibi+sparse", "sdpa+alibi+sparse"}) {
      attention::VariantFlags flags{int64_t{8}, sinks};
      auto banded = models.with(v, flags);
      auto ref = models.reference(v, flags);
      EXPECT_LE(max_diff_real_positions(logits(banded, prompts), logits(ref, prompts), prompts), 1e-5)
          << v << " sinks " << sinks;
    }
  }
}

TEST(VariantEquivalence, RollingCacheMatchesTheReferenceFarPastTheWindow) {
  TinyModels models = tiny_models();
  const Prompts prompts = random_prompts({20, 13}, 4);
  for (int64_t sinks : {0, 2}) {
    for (const char* v : {"sparse", "alibi+sparse"}) {
      attention::VariantFlags flags{int64_t{8}, sinks};
      auto rolling = models.with(v, flags);
      auto ref = models.reference(v, flags);
      // 80 decode steps with W = 8: the ring wraps ten times.
      EXPECT_EQ(greedy_cached(rolling, prompts, 80), greedy_recompute(ref, prompts, 80)) << v << " sinks " << sinks;
    }
  }
}

TEST(VariantEquivalence, CachedDecodeEqualsRecomputationForEveryVariant) {
  TinyModels models = tiny_models();
  const Prompts prompts = random_prompts({11, 25, 4}, 5);
  for (const char* v : kAllVariants) {
    auto m = models.with(v, flags_for(v));
    EXPECT_EQ(greedy_cached(m, prompts, 32), greedy_recompute(m, prompts, 32)) << v;
  }
}

TEST(VariantEquivalence, LeftPaddedBatchEqualsEachPromptAloneForEveryVariant) {
  TinyModels models = tiny_models();
  const Prompts prompts = random_prompts({3, 29, 17}, 6);
  for (const char* v : kAllVariants) {
    auto m = models.with(v, flags_for(v));
    const Prompts batched = greedy_cached(m, prompts, 32);
    for (size_t r = 0; r < prompts.size(); ++r)
      EXPECT_EQ(batched[r], greedy_cached(m, {prompts[r]}, 32)[0]) << v << " prompt " << r;
  }
}
