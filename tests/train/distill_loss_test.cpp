// The distillation loss (distill_loss.h) against PyTorch (tests/train/distill_oracle.py run live:
// kl_div with log_target, temperature scaling, T^2, cross_entropy, autograd), in fp64 with chunks
// that do not divide the rows; a teacher equal to the student gives KL 0 and a zero soft gradient;
// alpha 0 gives fused_lm_loss's loss and gradients bit for bit. The logits are fed as hidden states
// against an identity lm_head, so the gradient of the hidden states is the gradient of the logits.
#include <ATen/TensorOperators.h>  // Tensor operators
#include <ATen/ops/eye.h>          // at::eye
#include <ATen/ops/log_softmax.h>  // at::log_softmax
#include <ATen/ops/equal.h>        // at::equal
#include <ATen/ops/randint.h>      // at::randint
#include <ATen/ops/randn.h>        // at::randn
#include <ATen/ops/tensor.h>       // at::tensor
#include <gtest/gtest.h>           // TEST, EXPECT_*

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cmath>   // std::abs
#include <cstdio>  // popen, pclose, fread
#include <string>  // std::string
#include <vector>  // std::vector

#include "gptbench/run/perplexity.h"      // token_kl
#include "gptbench/train/distill_loss.h"   // distill_lm_loss
#include "gptbench/train/fused_lm_loss.h"  // fused_lm_loss
#include "gptbench/util/error.h"           // gptbench::Error

using namespace gptbench::train;

namespace {

// The oracle's JSON; a missing interpreter or a failing script fails the test.
nlohmann::json run_oracle() {
  const std::string command =
      std::string("'") + GPTBENCH_PYTHON + "' '" + GPTBENCH_SOURCE_DIR + "/tests/train/distill_oracle.py'";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return nullptr;
  std::string out;
  char buffer[1 << 16];
  for (size_t got; (got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, got);
  if (pclose(pipe) != 0 || out.empty()) return nullptr;
  return nlohmann::json::parse(out);
}

// rows [N][V] -> (1, N, V) fp64
at::Tensor matrix(const nlohmann::json& rows) {
  std::vector<double> flat;
  for (const auto& row : rows)
    for (double v : row) flat.push_back(v);
  const int64_t n = static_cast<int64_t>(rows.size());
  return at::tensor(flat, at::kDouble).view({1, n, -1});
}

double max_abs_diff(const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().max().item<double>(); }

}  // namespace

TEST(DistillLoss, EqualsPyTorchKlDivWithTemperature) {
  const nlohmann::json ref = run_oracle();
  ASSERT_FALSE(ref.is_null()) << "tests/train/distill_oracle.py failed (GPTBENCH_PYTHON=" << GPTBENCH_PYTHON << ")";
  const at::Tensor student = matrix(ref["student"]).requires_grad_();  // (1, N, V)
  const at::Tensor teacher = matrix(ref["teacher"]);
  const std::vector<int64_t> target_list = ref["targets"];
  const at::Tensor targets = at::tensor(target_list, at::kLong).view({1, -1});
  const int64_t vocab = student.size(2);
  const at::Tensor identity = at::eye(vocab, at::kDouble);  // (V, V): logits = hidden
  for (int64_t chunk : {3, 1, 100}) {
    FusedLmLossOptions options;
    options.compute_dtype = at::kDouble;
    options.chunk_rows = chunk;
    const DistillLoss r = distill_lm_loss(student, identity, teacher, identity, targets, options,
                                          {ref["temperature"].get<double>(), ref["alpha"].get<double>()});
    EXPECT_NEAR(r.loss.item<double>(), ref["loss"].get<double>(), 1e-12) << "chunk " << chunk;
    EXPECT_NEAR(r.kl.item<double>(), ref["kl"].get<double>(), 1e-12) << "chunk " << chunk;
    EXPECT_NEAR(r.cross_entropy.item<double>(), ref["cross_entropy"].get<double>(), 1e-12) << "chunk " << chunk;
    student.mutable_grad() = at::Tensor();
    (r.loss * 0.5).backward();  // a grad_output other than 1
    EXPECT_LT(max_abs_diff(student.grad() * 2, matrix(ref["grad"])), 1e-12) << "chunk " << chunk;
  }
}

TEST(DistillLoss, TeacherEqualToStudentGivesZeroKlAndGradient) {
  at::manual_seed(3);
  const at::Tensor hidden = at::randn({2, 5, 8}, at::kDouble).requires_grad_();
  const at::Tensor weight = at::randn({11, 8}, at::kDouble);
  const at::Tensor targets = at::randint(11, {2, 5}, at::kLong);
  FusedLmLossOptions options;
  options.compute_dtype = at::kDouble;
  options.chunk_rows = 4;
  const DistillLoss r = distill_lm_loss(hidden, weight, hidden.detach(), weight, targets, options, {1.7, 1.0});
  EXPECT_LT(std::abs(r.kl.item<double>()), 1e-13);
  EXPECT_LT(std::abs(r.loss.item<double>()), 1e-12);
  r.loss.backward();
  EXPECT_LT(hidden.grad().abs().max().item<double>(), 1e-13);
  // run::token_kl on its own: KL(p || p) = 0, KL(p || q) > 0 for p != q.
  const at::Tensor log_p = at::log_softmax(at::randn({4, 6}, at::kDouble), -1);
  EXPECT_LT(gptbench::run::token_kl(log_p, log_p).abs().max().item<double>(), 1e-15);
  EXPECT_GT(gptbench::run::token_kl(log_p, at::log_softmax(at::randn({4, 6}, at::kDouble), -1)).min().item<double>(), 0.0);
}

TEST(DistillLoss, AlphaZeroIsTheCrossEntropyBitForBit) {
  at::manual_seed(5);
  const at::Tensor hidden = at::randn({2, 6, 8}).requires_grad_();  // fp32, as training on the CPU
  const at::Tensor weight = (at::randn({70, 8}) * 0.5).requires_grad_();
  const at::Tensor teacher_hidden = at::randn({2, 6, 4});
  const at::Tensor teacher_weight = at::randn({70, 4});
  at::Tensor targets = at::randint(70, {2, 6}, at::kLong);
  targets.index_put_({0, 2}, -100);
  FusedLmLossOptions options;
  options.chunk_rows = 5;
  const at::Tensor plain = fused_lm_loss(hidden, weight, targets, options);
  plain.backward();
  const at::Tensor grad_hidden = hidden.grad().clone(), grad_weight = weight.grad().clone();
  hidden.mutable_grad() = at::Tensor();
  weight.mutable_grad() = at::Tensor();
  const DistillLoss r = distill_lm_loss(hidden, weight, teacher_hidden, teacher_weight, targets, options, {2.0, 0.0});
  r.loss.backward();
  EXPECT_TRUE(at::equal(r.loss, plain));
  EXPECT_TRUE(at::equal(r.cross_entropy, plain));
  EXPECT_GT(r.kl.item<double>(), 0.0);  // computed and reported even when it is not trained on
  EXPECT_TRUE(at::equal(hidden.grad(), grad_hidden));
  EXPECT_TRUE(at::equal(weight.grad(), grad_weight));
}

TEST(DistillLoss, RefusesAVocabularyMismatch) {
  const at::Tensor hidden = at::randn({1, 3, 4});
  EXPECT_THROW(distill_lm_loss(hidden, at::randn({10, 4}), at::randn({1, 3, 4}), at::randn({12, 4}),
                               at::randint(10, {1, 3}, at::kLong), {}, {}),
               gptbench::Error);
}
