// The training pieces that decide what is learned: the learning-rate schedule, the loss mask of
// summarization examples, batching, the seeded example order, AdamW against its formula, and
// the loss decreasing when a tiny model overfits a few sequences.
#include <ATen/TensorOperators.h>           // Tensor operators
#include <ATen/ops/allclose.h>              // at::allclose
#include <ATen/ops/equal.h>                 // at::equal
#include <ATen/ops/full.h>                  // at::full
#include <ATen/ops/randn.h>                 // at::randn
#include <ATen/ops/sqrt.h>                  // at::sqrt
#include <gtest/gtest.h>                    // TEST, EXPECT_*

#include <algorithm>  // std::sort
#include <cmath>      // std::cos
#include <filesystem>  // std::filesystem::path
#include <limits>      // std::numeric_limits

#include "gptbench/text/gpt2_tokenizer.h"  // Gpt2Tokenizer
#include "gptbench/train/adamw.h"          // AdamW
#include "gptbench/train/lr_schedule.h"    // learning_rate
#include "gptbench/train/train_data.h"     // summary_example, make_batch, ExampleOrder

using namespace gptbench;
using namespace gptbench::train;

namespace {

const text::Gpt2Tokenizer& tokenizer() {
  static const text::Gpt2Tokenizer tok =
      text::Gpt2Tokenizer::from_dir(std::filesystem::path(GPTBENCH_DATA_DIR) / "gpt2_tokenizer");
  return tok;
}

TEST(LrSchedule, WarmupThenCosineToMinimum) {
  const LrSchedule s{1e-3, 0.1, 10, 110};
  EXPECT_DOUBLE_EQ(learning_rate(s, 0), 1e-4);
  EXPECT_DOUBLE_EQ(learning_rate(s, 4), 5e-4);
  EXPECT_DOUBLE_EQ(learning_rate(s, 9), 1e-3);
  EXPECT_DOUBLE_EQ(learning_rate(s, 10), 1e-3);                              // cosine starts at the peak
  EXPECT_NEAR(learning_rate(s, 60), 1e-4 + 0.9e-3 * 0.5, 1e-15);             // halfway: the mean
  EXPECT_NEAR(learning_rate(s, 35), 1e-4 + 0.9e-3 * 0.5 * (1 + std::cos(M_PI / 4)), 1e-15);
  EXPECT_NEAR(learning_rate(s, 110), 1e-4, 1e-15);                            // the end: min_lr
  const LrSchedule no_warmup{2e-4, 0.0, 0, 4};
  EXPECT_DOUBLE_EQ(learning_rate(no_warmup, 0), 2e-4);
  EXPECT_NEAR(learning_rate(no_warmup, 2), 1e-4, 1e-18);
}

TEST(SummaryExample, LossCountsOnlySummaryTokensAndEos) {
  const std::string source = "The city council approved the new budget on Monday after a long debate.";
  const std::string reference = "Council approves budget.";
  const int32_t eos = 50256;
  const Example e = summary_example(source, reference, tokenizer(), "{source}\nTL;DR:", 128, 64, LossOn::kSummary, eos);
  const std::vector<int32_t> summary = tokenizer().encode(" " + reference);
  const std::vector<int32_t> prompt = tokenizer().encode(source + "\nTL;DR:");
  ASSERT_EQ(e.tokens.size(), prompt.size() + summary.size() + 1);
  EXPECT_EQ(e.first_target, static_cast<int64_t>(prompt.size()));
  EXPECT_EQ(e.targets(), static_cast<int64_t>(summary.size()) + 1);  // the summary and EOS
  EXPECT_EQ(e.tokens.back(), eos);
  EXPECT_TRUE(std::equal(summary.begin(), summary.end(), e.tokens.begin() + e.first_target));

  const Batch b = make_batch({&e}, c10::Device(c10::kCPU));
  const at::Tensor counted = b.targets.ne(kIgnoreTarget);
  EXPECT_EQ(counted.sum().item<int64_t>(), e.targets());
  EXPECT_EQ(b.target_tokens, e.targets());
  // Position i predicts token i + 1: the first counted target is the first summary token.
  EXPECT_EQ(b.targets[0][e.first_target - 1].item<int64_t>(), summary[0]);
  EXPECT_EQ(b.targets[0][e.first_target - 2].item<int64_t>(), kIgnoreTarget);

  const Example all = summary_example(source, reference, tokenizer(), "{source}\nTL;DR:", 128, 64, LossOn::kAll, eos);
  EXPECT_EQ(all.first_target, 1);
  EXPECT_EQ(all.targets(), static_cast<int64_t>(all.tokens.size()) - 1);
}

TEST(SummaryExample, LongSummaryIsCutWithoutEosAndSourceTruncated) {
  std::string source, reference;
  for (int i = 0; i < 200; ++i) source += "word ";
  for (int i = 0; i < 100; ++i) reference += "summary ";
  const Example e = summary_example(source, reference, tokenizer(), "{source}\nTL;DR:", 64, 16, LossOn::kSummary, 50256);
  EXPECT_EQ(e.targets(), 16);                                  // --max-summary-tokens, no EOS after a cut
  EXPECT_NE(e.tokens.back(), 50256);
  EXPECT_EQ(static_cast<int64_t>(e.tokens.size()), 64 + 1);  // the source was cut to fit seq_len + 1
}

TEST(Batching, RightPadsWithIgnoredTargets) {
  Example a{{1, 2, 3, 4, 5}, 1}, b{{7, 8, 9}, 2};
  const Batch batch = make_batch({&a, &b}, c10::Device(c10::kCPU));
  ASSERT_EQ(batch.ids.sizes(), (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(batch.input_tokens, 4 + 2);
  EXPECT_EQ(batch.target_tokens, 4 + 1);
  const std::vector<int64_t> ids(batch.ids.data_ptr<int64_t>(), batch.ids.data_ptr<int64_t>() + 8);
  const std::vector<int64_t> tg(batch.targets.data_ptr<int64_t>(), batch.targets.data_ptr<int64_t>() + 8);
  EXPECT_EQ(ids, (std::vector<int64_t>{1, 2, 3, 4, 7, 8, 0, 0}));
  EXPECT_EQ(tg, (std::vector<int64_t>{2, 3, 4, 5, kIgnoreTarget, 9, kIgnoreTarget, kIgnoreTarget}));
}

TEST(ExampleOrder, EachEpochIsASeededPermutation) {
  ExampleOrder order(10, 3), again(10, 3), other(10, 4);
  std::vector<int64_t> e0, e1, o0;
  for (int64_t i = 0; i < 10; ++i) e0.push_back(order.at(i));
  for (int64_t i = 10; i < 20; ++i) e1.push_back(order.at(i));
  for (int64_t i = 0; i < 10; ++i) o0.push_back(other.at(i));
  EXPECT_NE(e0, e1);  // reshuffled each epoch
  EXPECT_NE(e0, o0);  // depends on the seed
  EXPECT_EQ(again.at(13), e1[3]);  // random access (resume) gives the same example
  for (auto v : {e0, e1}) {
    std::sort(v.begin(), v.end());
    for (int64_t i = 0; i < 10; ++i) EXPECT_EQ(v[i], i);
  }
}

TEST(AdamW, MatchesTheFormulaAndSkipsDecayOnVectors) {
  at::manual_seed(1);
  at::Tensor w = at::randn({3, 4}).requires_grad_(true), bias = at::randn({4}).requires_grad_(true);
  const at::Tensor w0 = w.detach().clone(), b0 = bias.detach().clone();
  AdamW opt({{"w", w}, {"bias", bias}}, {0.9, 0.95, 1e-8, 0.1});
  EXPECT_EQ(opt.decayed_parameter_count(), 12);
  // maskmix's mixture logits are 2-D but not a weight matrix: no decay.
  const AdamW mix({{"w", w}, {"h.0.attn.maskmix_logits", at::zeros({4, 6}).requires_grad_(true)}}, {0.9, 0.95, 1e-8, 0.1});
  EXPECT_EQ(mix.decayed_parameter_count(), 12);
  const at::Tensor gw = at::randn({3, 4}), gb = at::randn({4});
  w.mutable_grad() = gw.clone();
  bias.mutable_grad() = gb.clone();
  const double lr = 0.01;
  opt.step(lr);
  // Step 1: m = (1-b1) g, v = (1-b2) g^2, m_hat = g, v_hat = g^2, update = g / (|g| + eps).
  auto expected = [&](const at::Tensor& p0, const at::Tensor& g, double wd) {
    const at::Tensor m_hat = g, v_hat = g * g;
    return p0 * (1 - lr * wd) - lr * m_hat / (at::sqrt(v_hat) + 1e-8);
  };
  EXPECT_TRUE(at::allclose(w.detach(), expected(w0, gw, 0.1), 1e-6, 1e-7));
  EXPECT_TRUE(at::allclose(bias.detach(), expected(b0, gb, 0.0), 1e-6, 1e-7));
  // Clipping scales the gradient to the requested global norm.
  w.mutable_grad() = at::randn({3, 4}) * 100;
  bias.mutable_grad() = at::randn({4}) * 100;
  const double before = opt.clip_grad_norm(1.0).item<double>();
  EXPECT_GT(before, 1.0);
  const double after = opt.clip_grad_norm(0.0).item<double>();
  EXPECT_NEAR(after, 1.0, 1e-4);
}

TEST(LossScaler, SkipsInfiniteStepsAndBacksOff) {
  // Two matrices in one group: the skipped-step bookkeeping runs over lists of several tensors (a lone
  // found_inf once converted to a one-element list and failed with more than one parameter).
  at::Tensor w = at::ones({2, 2}).requires_grad_(true), v = at::ones({3, 2}).requires_grad_(true);
  AdamW opt({{"w", w}, {"v", v}}, {0.9, 0.95, 1e-8, 0.0});
  LossScaler scaler(c10::Device(c10::kCPU), /*enabled=*/true);
  v.mutable_grad() = at::zeros({3, 2});
  const double scale0 = scaler.scale().item<double>();
  EXPECT_EQ(scale0, 65536.0);
  // Gradients that overflowed: the step is skipped (weights and step count unchanged), the scale halves.
  w.mutable_grad() = at::full({2, 2}, std::numeric_limits<float>::infinity());
  at::Tensor found_inf = scaler.unscale(opt.grads());
  EXPECT_EQ(found_inf.item<double>(), 1.0);
  opt.step(0.1, found_inf);
  scaler.update(found_inf);
  EXPECT_TRUE(at::equal(w.detach(), at::ones({2, 2})));
  EXPECT_EQ(opt.state().at("step.w").item<double>(), 0.0);
  EXPECT_EQ(opt.state().at("step.v").item<double>(), 0.0);
  EXPECT_EQ(scaler.scale().item<double>(), scale0 / 2);
  // Finite scaled gradients are unscaled before the step.
  w.mutable_grad() = at::full({2, 2}, 3.0 * scale0 / 2);
  found_inf = scaler.unscale(opt.grads());
  EXPECT_EQ(found_inf.item<double>(), 0.0);
  EXPECT_TRUE(at::allclose(w.grad(), at::full({2, 2}, 3.0)));
  opt.step(0.1, found_inf);
  EXPECT_EQ(opt.state().at("step.w").item<double>(), 1.0);
  EXPECT_EQ(opt.state().at("step.v").item<double>(), 1.0);
  EXPECT_FALSE(at::equal(w.detach(), at::ones({2, 2})));
}

}  // namespace
