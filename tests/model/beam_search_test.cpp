// Beam search and KV-cache reordering on a small random GPT-2 in fp32 (CPU; GPTBENCH_TEST_DEVICE=cuda
// runs them on the GPU). The token-for-token proof against transformers is beam_search_hf.py; here:
//  * KvCache::reorder (dense and rolling, fanning out, duplicating and permuting rows, many steps
//    past the window) gives the logits of recomputing each reordered sequence from scratch;
//  * generate_beam equals a loop-per-candidate reference written from transformers' rules, which
//    recomputes every beam without a cache, for every attention variant, with EOS finishing
//    hypotheses early, the n-gram ban, min_new_tokens and all three early-stopping rules;
//  * a left-padded batch gives each prompt's result alone; bad options throw UsageError.
#include <ATen/TensorOperators.h>    // Tensor operators (*, /, -)
#include <ATen/core/grad_mode.h>     // at::NoGradGuard
#include <ATen/ops/arange.h>         // at::arange
#include <ATen/ops/tensor.h>         // at::tensor
#include <c10/core/InferenceMode.h>  // c10::InferenceMode
#include <gtest/gtest.h>             // TEST, EXPECT_*

#include <algorithm>  // std::sort, std::stable_sort
#include <cmath>      // std::pow
#include <cstdio>     // std::printf
#include <cstdlib>    // std::getenv
#include <limits>     // std::numeric_limits
#include <string>     // std::string
#include <vector>     // std::vector

#include "gptbench/attention/variant.h"   // parse_variant
#include "gptbench/model/beam_search.h"   // generate_beam
#include "gptbench/model/causal_lm.h"      // CausalLm
#include "gptbench/model/gpt2_model.h"     // Gpt2ModelImpl (the EOS-prone weights)
#include "gptbench/model/model_family.h"   // init_model
#include "gptbench/model/generator.h"     // left_pad
#include "gptbench/util/error.h"          // UsageError
#include "tiny_model_fixture.h"            // TinyModels, random_prompts, batch_logits

using namespace gptbench;
using namespace gptbench::testing;
using model::EarlyStopping;

namespace {

constexpr int32_t kEos = 7;  // inside the small vocabulary, so hypotheses can finish early

// EOS's tied embedding row points along ln_f's bias, so its logit is boosted by an input-dependent
// amount: it ends some hypotheses after a few tokens and loses to other tokens elsewhere.
std::shared_ptr<model::CausalLm> eos_prone_base() {
  std::shared_ptr<model::CausalLm> m = model::init_model(tiny_config(kEos), 4321);
  auto& gpt2 = dynamic_cast<model::Gpt2ModelImpl&>(*m);
  at::NoGradGuard no_grad;
  at::Tensor u = at::arange(64, at::kFloat).sin();
  u = u / u.norm();
  gpt2.ln_f->bias.copy_(u);
  gpt2.wte->weight[kEos].copy_(0.3 * u);
  return m;
}

TinyModels tiny_models() { return TinyModels(eos_prone_base()); }

// Last-position logits (B, V) of each sequence, recomputed from scratch without a cache.
at::Tensor last_logits(const std::shared_ptr<model::CausalLm>& m, const Prompts& seqs) {
  return batch_logits(*m, seqs, model::LogitsMode::kLastPosition).select(1, 0);
}

const char* kAllVariants[] = {"standard",     "sdpa",          "alibi",         "alibi-wpe",
                              "sdpa+alibi",   "sparse",        "sdpa+sparse",   "alibi+sparse",
                              "sdpa+alibi+sparse"};
attention::VariantFlags flags_for(const std::string& v) {
  return v.find("sparse") != std::string::npos ? attention::VariantFlags{int64_t{8}, int64_t{2}}
                                               : attention::VariantFlags{};
}

// ---- The reference: transformers' beam-search rules, one candidate at a time ----

struct Hypothesis {
  std::vector<int32_t> tokens;  // generated tokens (a finished one ends with EOS unless it hit the length)
  float score = 0;              // running: summed log-probs; kept: length-normalised
};

// Tokens that would repeat an n-gram of seq (NoRepeatNGramLogitsProcessor for an unpadded row).
std::vector<int32_t> banned_tokens(const std::vector<int32_t>& seq, int64_t n) {
  std::vector<int32_t> banned;
  const int64_t len = static_cast<int64_t>(seq.size());
  for (int64_t i = 0; n > 0 && i + n <= len; ++i) {
    if (std::equal(seq.begin() + i, seq.begin() + i + n - 1, seq.end() - (n - 1))) banned.push_back(seq[i + n - 1]);
  }
  return banned;
}

model::GeneratedSequence reference_beam(const std::shared_ptr<model::CausalLm>& m, const std::vector<int32_t>& prompt,
                                        const model::BeamSearchOptions& o) {
  const int64_t k = o.num_beams, n = o.max_new_tokens;
  const bool score_at_max = o.early_stopping == EarlyStopping::kNever && o.length_penalty > 0;
  std::vector<Hypothesis> running(1);  // the K copies of the prompt count once
  std::vector<Hypothesis> kept;         // best first, at most K
  bool improvable = true;
  for (int64_t step = 0; step < n; ++step) {
    Prompts seqs;
    for (const auto& h : running) {
      seqs.push_back(prompt);
      seqs.back().insert(seqs.back().end(), h.tokens.begin(), h.tokens.end());
    }
    const at::Tensor log_probs = last_logits(m, seqs).log_softmax(-1).contiguous();  // (beams, V) fp32
    struct Candidate {
      float score;
      size_t beam;
      int32_t token;
    };
    std::vector<Candidate> candidates;
    for (size_t b = 0; b < running.size(); ++b) {
      std::vector<float> lp(log_probs[b].data_ptr<float>(), log_probs[b].data_ptr<float>() + log_probs.size(1));
      for (int32_t t : banned_tokens(seqs[b], o.no_repeat_ngram_size)) lp[t] = -std::numeric_limits<float>::infinity();
      if (step < o.min_new_tokens) lp[kEos] = -std::numeric_limits<float>::infinity();
      for (int32_t t = 0; t < static_cast<int32_t>(lp.size()); ++t)
        candidates.push_back({running[b].score + lp[t], b, t});
    }
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
    candidates.resize(2 * k);

    const bool full = static_cast<int64_t>(kept.size()) == k && o.early_stopping == EarlyStopping::kWhenFull;
    std::vector<Hypothesis> next;
    for (int64_t r = 0; r < 2 * k; ++r) {
      const Candidate& c = candidates[r];
      Hypothesis h{running[c.beam].tokens, c.score};
      h.tokens.push_back(c.token);
      const bool finished = c.token == kEos || step + 1 == n;
      if (!finished) {
        if (static_cast<int64_t>(next.size()) < k) next.push_back(h);
      } else if (r < k && improvable && !full) {  // only the top K may finish
        h.score = c.score / static_cast<float>(std::pow(static_cast<double>(step + 1), o.length_penalty));
        kept.push_back(h);
      }
    }
    std::stable_sort(kept.begin(), kept.end(),
                     [](const Hypothesis& a, const Hypothesis& b) { return a.score > b.score; });
    if (static_cast<int64_t>(kept.size()) > k) kept.resize(k);
    running = next;
    if (step + 1 == n) break;
    const double best_len = score_at_max ? static_cast<double>(n) : static_cast<double>(step + 1);
    const float best_possible = running[0].score / static_cast<float>(std::pow(best_len, o.length_penalty));
    improvable = improvable && (static_cast<int64_t>(kept.size()) < k || best_possible > kept.back().score);
    if (!improvable || (static_cast<int64_t>(kept.size()) == k && o.early_stopping == EarlyStopping::kWhenFull))
      break;
  }
  model::GeneratedSequence out;
  out.tokens = kept.front().tokens;
  if (!out.tokens.empty() && out.tokens.back() == kEos) {
    out.tokens.pop_back();
    out.stopped_at_eos = true;
  }
  return out;
}

bool same(const model::GeneratedSequence& a, const model::GeneratedSequence& b) {
  return a.tokens == b.tokens && a.stopped_at_eos == b.stopped_at_eos;
}

std::string show(const model::GeneratedSequence& g) {
  std::string s;
  for (int32_t t : g.tokens) s += std::to_string(t) + " ";
  return s + (g.stopped_at_eos ? "<eos>" : "<max>");
}

model::BeamSearchOptions options(int64_t beams, int64_t ngram, double lp, EarlyStopping early, int64_t min_new = 0) {
  model::BeamSearchOptions o;
  o.num_beams = beams;
  o.max_new_tokens = 16;
  o.min_new_tokens = min_new;
  o.no_repeat_ngram_size = ngram;
  o.length_penalty = lp;
  o.early_stopping = early;
  return o;
}

}  // namespace

// ---- KvCache::reorder ----

TEST(KvCacheReorder, DecodeAfterReorderEqualsRecomputation) {
  TinyModels models = tiny_models();
  const Prompts prompts = random_prompts({9, 21, 4}, 11, kEos);
  for (const char* v : {"standard", "sdpa", "sparse", "alibi+sparse"}) {
    auto m = models.with(v, flags_for(v));
    auto ref = models.reference(v, flags_for(v));
    c10::InferenceMode guard;
    auto batch = model::left_pad(prompts, 0, test_device());
    const int64_t steps = 40;  // with W = 8 the ring wraps several times
    auto cache = m->make_cache(batch.key_start, batch.length + steps);
    attention::AttentionPositions pos{batch.key_start, 0, {}, batch.left_padded};
    m->forward(batch.ids, pos, cache.get(), model::LogitsMode::kLastPosition);

    // Fan out to 4 rows (one prompt twice, one dropped), then permute the rows now and then.
    std::vector<int64_t> rows{2, 0, 0, 1};
    Prompts seqs;
    for (int64_t r : rows) seqs.push_back(prompts[r]);
    at::Tensor index = at::tensor(rows, at::kLong).to(test_device());
    cache->reorder(index);
    pos.key_start = batch.key_start.index_select(0, index);
    double worst = 0;
    for (int64_t s = 0; s < steps; ++s) {
      if (s % 7 == 3) {
        const std::vector<int64_t> perm{3, 1, 1, 0};
        Prompts permuted;
        for (int64_t r : perm) permuted.push_back(seqs[r]);
        seqs = permuted;
        at::Tensor p = at::tensor(perm, at::kLong).to(test_device());
        cache->reorder(p);
        pos.key_start = pos.key_start.index_select(0, p);
      }
      std::vector<int64_t> next;
      for (size_t r = 0; r < seqs.size(); ++r) {
        next.push_back(static_cast<int64_t>((s * 37 + r * 101 + 5) % 512));
        seqs[r].push_back(static_cast<int32_t>(next.back()));
      }
      pos.q_pos0 = batch.length + s;
      at::Tensor ids = at::tensor(next, at::kLong).view({-1, 1}).to(test_device());
      at::Tensor cached = m->forward(ids, pos, cache.get(), model::LogitsMode::kLastPosition).select(1, 0).to(at::kCPU);
      worst = std::max(worst, (cached - last_logits(ref, seqs)).abs().max().item<double>());
    }
    EXPECT_LE(worst, 1e-4) << v;
  }
}

// ---- generate_beam ----

TEST(BeamSearch, EqualsTheCandidateLoopReferenceForEveryRule) {
  TinyModels models = tiny_models();
  auto m = models.with("standard");
  auto ref = models.reference("standard");
  const Prompts prompts = random_prompts({5, 13, 8}, 21, kEos);
  int eos_endings = 0, runs = 0;
  for (int64_t beams : {2, 4}) {
    for (int64_t ngram : {0, 2}) {
      for (double lp : {1.0, 0.6, 2.0}) {
        for (EarlyStopping early : {EarlyStopping::kHeuristic, EarlyStopping::kWhenFull, EarlyStopping::kNever}) {
          const auto o = options(beams, ngram, lp, early, ngram == 2 && lp == 2.0 ? 4 : 0);
          const auto got = model::generate_beam(*m, prompts, o);
          for (size_t i = 0; i < prompts.size(); ++i) {
            const auto want = reference_beam(ref, prompts[i], o);
            EXPECT_TRUE(same(got[i], want)) << "beams " << beams << " ngram " << ngram << " lp " << lp << " early "
                                            << model::early_stopping_name(early) << " prompt " << i << "\n  got  "
                                            << show(got[i]) << "\n  want " << show(want);
            eos_endings += got[i].stopped_at_eos;
            ++runs;
          }
        }
      }
    }
  }
  // The finished-hypothesis rules only matter if some results end at EOS and others run to the limit.
  EXPECT_GT(eos_endings, 0);
  EXPECT_LT(eos_endings, runs);
  std::printf("[ info     ] %d of %d results ended with EOS\n", eos_endings, runs);
}

TEST(BeamSearch, EveryVariantEqualsTheReferenceAndBatchingChangesNothing) {
  TinyModels models = tiny_models();
  const Prompts prompts = random_prompts({3, 17, 11}, 31, kEos);
  const auto o = options(3, 2, 1.0, EarlyStopping::kHeuristic);
  for (const char* v : kAllVariants) {
    auto m = models.with(v, flags_for(v));
    auto ref = models.reference(v, flags_for(v));
    const auto batched = model::generate_beam(*m, prompts, o);
    for (size_t i = 0; i < prompts.size(); ++i) {
      const auto want = reference_beam(ref, prompts[i], o);
      EXPECT_TRUE(same(batched[i], want)) << v << " prompt " << i << "\n  got  " << show(batched[i]) << "\n  want "
                                          << show(want);
      EXPECT_TRUE(same(model::generate_beam(*m, {prompts[i]}, o)[0], batched[i])) << v << " prompt " << i << " alone";
    }
  }
}

TEST(BeamSearch, BadOptionsThrowUsageError) {
  TinyModels models = tiny_models();
  auto m = models.with("standard");
  const Prompts prompts = random_prompts({4}, 41, kEos);
  auto with = [](auto change) {
    auto o = options(3, 0, 1.0, EarlyStopping::kHeuristic);
    change(o);
    return o;
  };
  EXPECT_THROW(model::generate_beam(*m, prompts, with([](auto& o) { o.num_beams = 1; })), UsageError);
  EXPECT_THROW(model::generate_beam(*m, prompts, with([](auto& o) { o.max_new_tokens = 0; })), UsageError);
  EXPECT_THROW(model::generate_beam(*m, prompts, with([](auto& o) { o.min_new_tokens = 17; })), UsageError);
  EXPECT_THROW(model::generate_beam(*m, prompts, with([](auto& o) { o.no_repeat_ngram_size = -1; })), UsageError);
  EXPECT_THROW(model::generate_beam(*m, prompts, with([](auto& o) { o.max_new_tokens = 600; })), UsageError);
  EXPECT_THROW(model::parse_early_stopping("sometimes"), UsageError);
  EXPECT_EQ(model::parse_early_stopping("never"), EarlyStopping::kNever);
}
