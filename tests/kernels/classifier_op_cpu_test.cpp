// The gptbench::classifier_loss_grad_ op on the CPU: its registration, its argument checks, and
// its ATen reference against an independent fp64 loop (loss and softmax - onehot per row) with
// ignored rows, an odd V, padded row strides, low-precision logits and the loss-only mode.
#include <ATen/TensorOperators.h>           // Tensor operators
#include <ATen/core/dispatch/Dispatcher.h>  // c10::Dispatcher
#include <ATen/ops/empty.h>                 // at::empty
#include <ATen/ops/equal.h>                 // at::equal
#include <ATen/ops/randn.h>                 // at::randn
#include <ATen/ops/tensor.h>                // at::tensor
#include <gtest/gtest.h>                    // TEST, EXPECT_*

#include <algorithm>  // std::max
#include <cmath>      // std::exp, std::log, std::abs
#include <vector>     // std::vector

#include "gptbench/kernels/classifier_op.h"  // classifier_loss_grad_, kClassifierOpName
#include "gptbench/util/error.h"             // gptbench::Error

namespace gptbench::kernels {
namespace {

constexpr int64_t kIgnore = -100;

struct Expected {
  std::vector<double> loss;  // (N)
  std::vector<double> grad;  // (N * V)
};

// The definition with doubles, sharing no code with the op.
Expected brute_force(const at::Tensor& logits, const std::vector<int64_t>& targets) {
  const at::Tensor x = logits.to(at::kDouble).contiguous();
  auto a = x.accessor<double, 2>();
  const int64_t n = x.size(0), v = x.size(1);
  Expected e{std::vector<double>(n, 0.0), std::vector<double>(n * v, 0.0)};
  for (int64_t r = 0; r < n; ++r) {
    if (targets[r] == kIgnore) continue;
    double mx = a[r][0];
    for (int64_t j = 1; j < v; ++j) mx = std::max(mx, a[r][j]);
    double sum = 0;
    for (int64_t j = 0; j < v; ++j) sum += std::exp(a[r][j] - mx);
    const double lse = mx + std::log(sum);
    e.loss[r] = lse - a[r][targets[r]];
    for (int64_t j = 0; j < v; ++j) e.grad[r * v + j] = std::exp(a[r][j] - lse) - (j == targets[r] ? 1.0 : 0.0);
  }
  return e;
}

double max_abs_diff(const at::Tensor& got, const std::vector<double>& want) {
  const at::Tensor g = got.to(at::kDouble).contiguous();
  const double* p = g.data_ptr<double>();
  double worst = 0;
  for (size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::abs(p[i] - want[i]));
  return worst;
}

TEST(ClassifierOp, SchemaIsRegistered) {
  EXPECT_TRUE(c10::Dispatcher::singleton().findSchema({kClassifierOpName, ""}).has_value());
}

TEST(ClassifierOp, MatchesFp64LoopWithIgnoredRowsAndPaddedStride) {
  at::manual_seed(0);
  const int64_t n = 6, v = 37;
  const std::vector<int64_t> targets = {3, kIgnore, 0, 36, kIgnore, 17};
  const at::Tensor t = at::tensor(targets, at::kLong);
  for (at::ScalarType dtype : {at::kDouble, at::kFloat}) {
    for (int64_t stride : {v, v + 11}) {
      at::Tensor storage = at::randn({n, stride}, at::kDouble).mul_(3.0).to(dtype);
      at::Tensor logits = storage.narrow(1, 0, v);  // rows `stride` apart
      const at::Tensor padding = storage.narrow(1, v, stride - v).clone();
      const Expected e = brute_force(logits, targets);
      const at::Tensor loss = classifier_loss_grad_(logits, t, kIgnore, ClassifierGrad::kWrite);
      const double tol = dtype == at::kDouble ? 1e-12 : 2e-5;
      EXPECT_EQ(loss.scalar_type(), dtype);
      EXPECT_LE(max_abs_diff(loss, e.loss), tol) << c10::toString(dtype) << " stride " << stride;
      EXPECT_LE(max_abs_diff(logits, e.grad), tol) << c10::toString(dtype) << " stride " << stride;
      EXPECT_TRUE(at::equal(storage.narrow(1, v, stride - v), padding)) << "columns past V were written";
    }
  }
}

TEST(ClassifierOp, LowPrecisionLogitsComputeInFp32AndRoundTheGradientOnce) {
  at::manual_seed(1);
  const std::vector<int64_t> targets = {5, 0, kIgnore};
  const at::Tensor t = at::tensor(targets, at::kLong);
  for (at::ScalarType dtype : {at::kBFloat16, at::kHalf}) {
    at::Tensor logits = (at::randn({3, 101}) * 4.0).to(dtype);
    const Expected e = brute_force(logits, targets);  // exact on the rounded inputs
    const at::Tensor loss = classifier_loss_grad_(logits, t, kIgnore, ClassifierGrad::kWrite);
    EXPECT_EQ(loss.scalar_type(), at::kFloat);
    EXPECT_LE(max_abs_diff(loss, e.loss), 1e-5) << c10::toString(dtype);
    // |softmax - onehot| <= 1: one rounding to the dtype is at most half an ulp at 1.
    const double half_ulp = dtype == at::kBFloat16 ? 1.0 / 256 : 1.0 / 2048;
    EXPECT_LE(max_abs_diff(logits, e.grad), half_ulp) << c10::toString(dtype);
    EXPECT_EQ(logits.scalar_type(), dtype);
  }
}

TEST(ClassifierOp, LossOnlyLeavesTheLogitsAndIgnoredRowsCountZero) {
  at::manual_seed(2);
  const std::vector<int64_t> targets = {kIgnore, 4, kIgnore};
  at::Tensor logits = at::randn({3, 9});
  const at::Tensor before = logits.clone();
  const at::Tensor loss = classifier_loss_grad_(logits, at::tensor(targets, at::kLong), kIgnore, ClassifierGrad::kSkip);
  EXPECT_TRUE(at::equal(logits, before));
  EXPECT_LE(max_abs_diff(loss, brute_force(before, targets).loss), 2e-6);
  EXPECT_EQ(loss[0].item<float>(), 0.f);
  EXPECT_EQ(loss[2].item<float>(), 0.f);
}

TEST(ClassifierOp, RefusesBadArguments) {
  at::Tensor logits = at::randn({2, 5});
  EXPECT_THROW(classifier_loss_grad_(logits, at::tensor(std::vector<int64_t>{0, 5}, at::kLong), kIgnore,
                                     ClassifierGrad::kWrite),
               gptbench::Error);  // target == V
  EXPECT_THROW(classifier_loss_grad_(logits, at::tensor(std::vector<int64_t>{0, -1}, at::kLong), kIgnore,
                                     ClassifierGrad::kWrite),
               gptbench::Error);  // negative, not ignore_index
  EXPECT_THROW(classifier_loss_grad_(logits, at::tensor(std::vector<int64_t>{0}, at::kLong), kIgnore,
                                     ClassifierGrad::kWrite),
               gptbench::Error);  // (N,) mismatch
  EXPECT_THROW(classifier_loss_grad_(logits, at::tensor(std::vector<int32_t>{0, 1}, at::kInt), kIgnore,
                                     ClassifierGrad::kWrite),
               gptbench::Error);  // int32 targets
  at::Tensor transposed = at::randn({5, 2}).t();
  EXPECT_THROW(classifier_loss_grad_(transposed, at::tensor(std::vector<int64_t>{0, 1}, at::kLong), kIgnore,
                                     ClassifierGrad::kWrite),
               gptbench::Error);  // columns not contiguous
  at::Tensor flat = at::randn({10});
  EXPECT_THROW(classifier_loss_grad_(flat, at::tensor(std::vector<int64_t>{0}, at::kLong), kIgnore,
                                     ClassifierGrad::kWrite),
               gptbench::Error);
}

}  // namespace
}  // namespace gptbench::kernels
