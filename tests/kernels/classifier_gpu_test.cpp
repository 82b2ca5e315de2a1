// Our CUDA classifier kernel (kernels/classifier.cu) through gptbench::classifier_loss_grad_,
// against the op's CPU reference run on the same (already rounded) logits, for fp32, bf16 and
// fp16; V = 50257 (GPT-2), V not a multiple of the vector width or the CTA's 512 threads, V
// smaller than one vector per thread; contiguous rows (misaligned for odd V: the scalar path)
// and rows padded to 64 elements (the vector path); ignored rows; the loss-only mode; a target
// out of range (NaN loss and gradient). Both sides compute in fp32 and the kernel's gradient is
// rounded once to the dtype, so the rule is: loss within 2e-5 (relative to max(1, |loss|)),
// gradient within one ulp of the dtype at its magnitude plus 1e-7 (fp32: 1e-5 relative; exp
// and summation order differ). A deliberately wrong target shows that the rule fails.
#include <ATen/Context.h>          // at::hasCUDA
#include <ATen/TensorOperators.h>  // Tensor operators
#include <ATen/ops/abs.h>          // at::abs
#include <ATen/ops/equal.h>        // at::equal
#include <ATen/ops/full_like.h>    // at::full_like
#include <ATen/ops/isnan.h>        // at::isnan
#include <ATen/ops/maximum.h>      // at::maximum
#include <ATen/ops/ones_like.h>    // at::ones_like
#include <ATen/ops/rand.h>         // at::rand
#include <ATen/ops/randint.h>      // at::randint
#include <ATen/ops/randn.h>        // at::randn
#include <ATen/ops/tensor.h>       // at::tensor
#include <ATen/ops/where.h>        // at::where
#include <gtest/gtest.h>           // TEST, EXPECT_*

#include <cmath>   // std::isnan
#include <string>  // std::string
#include <vector>  // std::vector

#include "gptbench/kernels/classifier_op.h"  // classifier_loss_grad_, classifier_kernel_compiled

namespace gptbench::kernels {
namespace {

constexpr int64_t kIgnore = -100;

#define SKIP_WITHOUT_CUDA()                                                                  \
  do {                                                                                       \
    if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device: the classifier kernel needs one";    \
    ASSERT_TRUE(classifier_kernel_compiled()) << "a CUDA device but no compiled classifier kernel"; \
  } while (0)

enum class Layout { kContiguous, kPadded };

double relative_tolerance(at::ScalarType dtype) {
  if (dtype == at::kBFloat16) return 1.0 / 128;  // one ulp: 8 significant bits
  if (dtype == at::kHalf) return 1.0 / 1024;     // one ulp: 11 significant bits
  return 1e-5;
}

struct Outcome {
  bool loss_ok = false, grad_ok = false;
  double loss_err = 0, grad_err = 0;
};

// rows x vocab logits ~ N(0, 3^2) in dtype on the GPU; targets with about a quarter ignored.
Outcome run_case(int64_t rows, int64_t vocab, at::ScalarType dtype, Layout layout, int64_t target_shift = 0) {
  const auto cuda = at::TensorOptions().device(at::kCUDA);
  const int64_t stride = layout == Layout::kPadded ? (vocab + 63) / 64 * 64 : vocab;
  at::Tensor storage = (at::randn({rows, stride}, cuda) * 3.0).to(dtype);
  at::Tensor logits = storage.narrow(1, 0, vocab);
  at::Tensor targets = at::randint(vocab, {rows}, cuda.dtype(at::kLong));
  targets = at::where(at::rand({rows}, cuda) < 0.25, at::full_like(targets, kIgnore), targets);
  if (rows > 0) targets[0] = vocab - 1;  // the last column, which the scalar tail handles

  at::Tensor ref_logits = logits.cpu().clone();  // a copy on any device: the op writes into it
  at::Tensor ref_targets = targets.cpu();
  if (target_shift != 0)
    ref_targets = at::where(ref_targets == kIgnore, ref_targets, (ref_targets + target_shift) % vocab);
  const at::Tensor ref_loss = classifier_loss_grad_(ref_logits, ref_targets, kIgnore, ClassifierGrad::kWrite);
  const at::Tensor loss = classifier_loss_grad_(logits, targets, kIgnore, ClassifierGrad::kWrite).cpu();

  Outcome o;
  const at::Tensor loss_err = at::abs(loss - ref_loss) / at::maximum(at::abs(ref_loss), at::ones_like(ref_loss));
  o.loss_err = rows > 0 ? loss_err.max().item<double>() : 0.0;
  o.loss_ok = o.loss_err <= 2e-5;
  const at::Tensor got = logits.cpu().to(at::kDouble), want = ref_logits.to(at::kDouble);
  const at::Tensor excess = at::abs(got - want) - (at::abs(want) * relative_tolerance(dtype) + 1e-7);
  o.grad_err = rows > 0 ? at::abs(got - want).max().item<double>() : 0.0;
  o.grad_ok = rows == 0 || excess.max().item<double>() <= 0.0;
  return o;
}

std::string label(int64_t rows, int64_t vocab, at::ScalarType dtype, Layout layout) {
  return std::to_string(rows) + " x " + std::to_string(vocab) + " " + c10::toString(dtype) +
         (layout == Layout::kPadded ? " padded rows" : " contiguous rows");
}

TEST(ClassifierKernel, MatchesTheCpuReference) {
  SKIP_WITHOUT_CUDA();
  at::manual_seed(0);
  for (at::ScalarType dtype : {at::kFloat, at::kBFloat16, at::kHalf}) {
    for (int64_t vocab : {50257, 4096 + 3, 512 * 8, 1000, 7, 1}) {
      for (Layout layout : {Layout::kContiguous, Layout::kPadded}) {
        const int64_t rows = vocab >= 4096 ? 37 : 129;
        const Outcome o = run_case(rows, vocab, dtype, layout);
        EXPECT_TRUE(o.loss_ok) << label(rows, vocab, dtype, layout) << ": loss error " << o.loss_err;
        EXPECT_TRUE(o.grad_ok) << label(rows, vocab, dtype, layout) << ": gradient max |diff| " << o.grad_err;
      }
    }
  }
}

TEST(ClassifierKernel, TheRuleCatchesAWrongTarget) {
  SKIP_WITHOUT_CUDA();
  at::manual_seed(1);
  const Outcome o = run_case(16, 1000, at::kBFloat16, Layout::kPadded, /*target_shift=*/1);
  EXPECT_FALSE(o.loss_ok);
  EXPECT_FALSE(o.grad_ok);
}

TEST(ClassifierKernel, LossOnlyLeavesTheLogits) {
  SKIP_WITHOUT_CUDA();
  at::manual_seed(2);
  const auto cuda = at::TensorOptions().device(at::kCUDA);
  at::Tensor logits = at::randn({5, 50257}, cuda).to(at::kBFloat16);
  const at::Tensor before = logits.clone();
  const at::Tensor targets = at::randint(50257, {5}, cuda.dtype(at::kLong));
  const at::Tensor loss = classifier_loss_grad_(logits, targets, kIgnore, ClassifierGrad::kSkip);
  EXPECT_TRUE(at::equal(logits, before));
  at::Tensor ref = before.cpu();
  const at::Tensor ref_loss = classifier_loss_grad_(ref, targets.cpu(), kIgnore, ClassifierGrad::kSkip);
  EXPECT_LE((loss.cpu() - ref_loss).abs().max().item<double>(), 2e-4);
}

TEST(ClassifierKernel, TargetOutOfRangeGivesNaNNotAWrongNumber) {
  SKIP_WITHOUT_CUDA();
  const auto cuda = at::TensorOptions().device(at::kCUDA);
  at::Tensor logits = at::randn({3, 100}, cuda);
  const at::Tensor targets = at::tensor(std::vector<int64_t>{1, 100, kIgnore}, at::kLong).to(at::kCUDA);
  const at::Tensor loss = classifier_loss_grad_(logits, targets, kIgnore, ClassifierGrad::kWrite).cpu();
  EXPECT_FALSE(std::isnan(loss[0].item<float>()));
  EXPECT_TRUE(std::isnan(loss[1].item<float>()));
  EXPECT_EQ(loss[2].item<float>(), 0.f);
  const at::Tensor grad = logits.cpu();
  EXPECT_TRUE(at::isnan(grad[1]).all().item<bool>());
  EXPECT_TRUE((grad[2] == 0).all().item<bool>());
}

TEST(ClassifierKernel, ZeroRowsIsANoOp) {
  SKIP_WITHOUT_CUDA();
  const auto cuda = at::TensorOptions().device(at::kCUDA);
  at::Tensor logits = at::randn({0, 10}, cuda);
  const at::Tensor loss = classifier_loss_grad_(logits, at::randint(10, {0}, cuda.dtype(at::kLong)), kIgnore,
                                                ClassifierGrad::kWrite);
  EXPECT_EQ(loss.numel(), 0);
}

}  // namespace
}  // namespace gptbench::kernels
