// The fused lm loss (fused_lm_loss.h) against the loss the trainer used before it: logits =
// hidden @ W^T, log_softmax in fp32 (fp64), nll_loss sum, autograd. Loss and both gradients
// (hidden and the tied weight), with ignored targets, chunks that do not divide N, one row per
// chunk, a chunk larger than N, every target ignored, a grad_output other than 1; fp64 and fp32
// to tight tolerances, and a bf16 compute dtype against the rule of the kernel tests: our error
// against fp64 at most 2x the error of the reference path computing its logits in bf16 (what
// autocast does), plus a floor. CPU: the op's ATen reference. GPTBENCH_TEST_DEVICE=cuda (the gpu
// copy): our classifier kernel and cuBLAS (fp64 cases skipped: the kernel takes fp32/bf16/fp16).
#include <ATen/TensorOperators.h>  // Tensor operators
#include <ATen/ops/_log_softmax.h> // at::_log_softmax
#include <ATen/ops/full_like.h>    // at::full_like
#include <ATen/ops/matmul.h>       // at::matmul
#include <ATen/ops/nll_loss.h>     // at::nll_loss
#include <ATen/ops/rand.h>         // at::rand
#include <ATen/ops/randint.h>      // at::randint
#include <ATen/ops/randn.h>        // at::randn
#include <ATen/ops/where.h>        // at::where
#include <c10/core/GradMode.h>     // c10::NoGradGuard
#include <gtest/gtest.h>           // TEST, EXPECT_*
#include <torch/cuda.h>            // torch::cuda::is_available

#include <algorithm>  // std::max
#include <cstdlib>    // std::getenv
#include <string>     // std::string

#include "gptbench/train/fused_lm_loss.h"  // fused_lm_loss, FusedLmLossOptions
#include "gptbench/train/train_data.h"     // kIgnoreTarget
#include "gptbench/util/error.h"           // gptbench::Error

using namespace gptbench::train;

namespace {

c10::Device test_device() {
  const char* env = std::getenv("GPTBENCH_TEST_DEVICE");
  return env != nullptr && std::string(env) == "cuda" ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
}

#define SKIP_UNLESS_DEVICE_READY()                                                              \
  do {                                                                                          \
    if (test_device().is_cuda() && !torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device"; \
  } while (0)

struct Problem {
  at::Tensor hidden;   // (B, T, C) fp64
  at::Tensor weight;   // (V, C) fp64
  at::Tensor targets;  // (B, T) int64, kIgnoreTarget where not counted
};

Problem make_problem(int64_t batch, int64_t seq, int64_t channels, int64_t vocab, double ignored, uint64_t seed) {
  at::manual_seed(seed);
  const auto f64 = at::TensorOptions().dtype(at::kDouble).device(test_device());
  Problem p;
  p.hidden = at::randn({batch, seq, channels}, f64);
  p.weight = at::randn({vocab, channels}, f64) * 0.5;  // logits of a few units, as in a trained model
  p.targets = at::randint(vocab, {batch, seq}, f64.dtype(at::kLong));
  p.targets = at::where(at::rand({batch, seq}, f64) < ignored, at::full_like(p.targets, kIgnoreTarget), p.targets);
  return p;
}

struct Result {
  at::Tensor loss, grad_hidden, grad_weight;
};

constexpr double kGradOutput = 0.37;  // backward must scale the saved gradients by it

// The trainer's reference path: the (B, T, V) logits, log_softmax in `loss_dtype`, nll_loss sum,
// autograd. `logits_dtype` below loss_dtype models autocast (bf16 matmul, fp32 loss).
Result reference(const Problem& p, at::ScalarType param_dtype, at::ScalarType logits_dtype) {
  at::Tensor h = p.hidden.to(param_dtype).detach().requires_grad_(true);
  at::Tensor w = p.weight.to(param_dtype).detach().requires_grad_(true);
  const at::Tensor logits = at::matmul(h.to(logits_dtype), w.to(logits_dtype).t());  // (B, T, V)
  const at::Tensor log_probs = at::_log_softmax(logits.flatten(0, 1).to(param_dtype), -1, false);
  const at::Tensor loss = at::nll_loss(log_probs, p.targets.flatten(), {}, at::Reduction::Sum, kIgnoreTarget);
  (loss * kGradOutput).backward();
  return {loss.detach(), h.grad(), w.grad()};
}

Result fused(const Problem& p, at::ScalarType param_dtype, at::ScalarType compute, int64_t chunk_rows) {
  at::Tensor h = p.hidden.to(param_dtype).detach().requires_grad_(true);
  at::Tensor w = p.weight.to(param_dtype).detach().requires_grad_(true);
  FusedLmLossOptions options;
  options.compute_dtype = compute;
  options.chunk_rows = chunk_rows;
  const at::Tensor loss = fused_lm_loss(h, w, p.targets, options);
  (loss * kGradOutput).backward();
  return {loss.detach(), h.grad(), w.grad()};
}

double max_abs(const at::Tensor& t) { return t.abs().max().item<double>(); }
double max_err(const at::Tensor& a, const at::Tensor& b) { return max_abs(a.to(at::kDouble) - b.to(at::kDouble)); }

// Relative to the reference's largest magnitude (gradients of ignored rows are exactly 0 on both sides).
void expect_close(const Result& got, const Result& want, double tol, const std::string& what) {
  EXPECT_LE(max_err(got.loss, want.loss), tol * std::max(1.0, max_abs(want.loss))) << what << ": loss";
  EXPECT_LE(max_err(got.grad_hidden, want.grad_hidden), tol * std::max(1e-3, max_abs(want.grad_hidden)))
      << what << ": grad hidden";
  EXPECT_LE(max_err(got.grad_weight, want.grad_weight), tol * std::max(1e-3, max_abs(want.grad_weight)))
      << what << ": grad weight";
}

TEST(FusedLmLoss, EqualsTheReferenceInFp64AndFp32ForEveryChunking) {
  SKIP_UNLESS_DEVICE_READY();
  const Problem p = make_problem(3, 7, 16, 53, 0.3, 0);  // N = 21 rows, V odd
  for (at::ScalarType dtype : {at::kDouble, at::kFloat}) {
    if (dtype == at::kDouble && test_device().is_cuda()) continue;  // the CUDA kernel takes no fp64
    const Result want = reference(p, dtype, dtype);
    // The loss dtype follows the compute dtype's accumulation (fp64 for fp64, fp32 otherwise).
    const double tol = dtype == at::kDouble ? 1e-12 : 2e-5;
    for (int64_t chunk : {5, 1, 21, 8192}) {  // 5 does not divide 21; 8192 is larger than N
      const Result got = fused(p, dtype, dtype, chunk);
      EXPECT_EQ(got.loss.scalar_type(), dtype);
      EXPECT_EQ(got.grad_hidden.scalar_type(), dtype);
      EXPECT_EQ(got.grad_weight.scalar_type(), dtype);
      expect_close(got, want, tol, std::string(c10::toString(dtype)) + " chunk " + std::to_string(chunk));
    }
  }
}

TEST(FusedLmLoss, AllTargetsIgnoredGivesZeroLossAndZeroGradients) {
  SKIP_UNLESS_DEVICE_READY();
  Problem p = make_problem(2, 5, 8, 31, 0.0, 1);
  p.targets.fill_(kIgnoreTarget);
  const Result got = fused(p, at::kFloat, at::kFloat, 4);
  EXPECT_EQ(got.loss.item<double>(), 0.0);
  EXPECT_EQ(max_abs(got.grad_hidden), 0.0);
  EXPECT_EQ(max_abs(got.grad_weight), 0.0);
  // Some rows counted, one chunk entirely ignored: the ignored chunk adds nothing.
  Problem q = make_problem(2, 6, 8, 31, 0.0, 2);
  q.targets[0].fill_(kIgnoreTarget);
  expect_close(fused(q, at::kFloat, at::kFloat, 6), reference(q, at::kFloat, at::kFloat), 2e-5, "first chunk ignored");
}

TEST(FusedLmLoss, Bf16ComputeIsWithinTwiceTheAutocastReferenceError) {
  SKIP_UNLESS_DEVICE_READY();
  // fp32 master parameters, bf16 matmuls and logits; the fp64 reference is the truth.
  const Problem p = make_problem(4, 16, 64, 1000, 0.2, 3);
  const Result truth = reference(p, at::kDouble, at::kDouble);
  const Result autocast_like = reference(p, at::kFloat, at::kBFloat16);
  for (int64_t chunk : {24, 8192}) {
    const Result got = fused(p, at::kFloat, at::kBFloat16, chunk);
    EXPECT_EQ(got.loss.scalar_type(), at::kFloat);
    EXPECT_EQ(got.grad_weight.scalar_type(), at::kFloat);
    const std::string what = "bf16 chunk " + std::to_string(chunk);
    // Floors of 1/1024 of each quantity's largest magnitude, for a reference that happens to be
    // nearly exact.
    const double ref_l = max_err(autocast_like.loss, truth.loss);
    EXPECT_LE(max_err(got.loss, truth.loss), 2.0 * ref_l + max_abs(truth.loss) / 1024)
        << what << ": loss (reference path's error " << ref_l << ")";
    const double ref_h = max_err(autocast_like.grad_hidden, truth.grad_hidden);
    const double ref_w = max_err(autocast_like.grad_weight, truth.grad_weight);
    EXPECT_LE(max_err(got.grad_hidden, truth.grad_hidden), 2.0 * ref_h + max_abs(truth.grad_hidden) / 1024)
        << what << ": grad hidden (reference path's error " << ref_h << ")";
    EXPECT_LE(max_err(got.grad_weight, truth.grad_weight), 2.0 * ref_w + max_abs(truth.grad_weight) / 1024)
        << what << ": grad weight (reference path's error " << ref_w << ")";
  }
}

TEST(FusedLmLoss, WithoutGradModeComputesTheSameLossOnly) {
  SKIP_UNLESS_DEVICE_READY();
  const Problem p = make_problem(2, 9, 8, 40, 0.25, 4);
  const Result with_grad = fused(p, at::kFloat, at::kFloat, 7);
  at::Tensor h = p.hidden.to(at::kFloat).requires_grad_(true);
  at::Tensor w = p.weight.to(at::kFloat).requires_grad_(true);
  FusedLmLossOptions options;
  options.chunk_rows = 7;
  at::Tensor loss;
  {
    const c10::NoGradGuard no_grad;
    loss = fused_lm_loss(h, w, p.targets, options);
  }
  EXPECT_FALSE(loss.requires_grad());
  EXPECT_DOUBLE_EQ(loss.item<double>(), with_grad.loss.item<double>());
}

TEST(FusedLmLoss, RefusesBadArguments) {
  SKIP_UNLESS_DEVICE_READY();
  const Problem p = make_problem(2, 3, 4, 10, 0.0, 5);
  FusedLmLossOptions options;
  EXPECT_THROW(fused_lm_loss(p.hidden.flatten(0, 1), p.weight, p.targets, options), gptbench::Error);
  EXPECT_THROW(fused_lm_loss(p.hidden, p.weight.t(), p.targets, options), gptbench::Error);
  EXPECT_THROW(fused_lm_loss(p.hidden, p.weight, p.targets.flatten(), options), gptbench::Error);
  EXPECT_THROW(fused_lm_loss(p.hidden, p.weight, p.targets.to(at::kInt), options), gptbench::Error);
  options.chunk_rows = 0;
  EXPECT_THROW(fused_lm_loss(p.hidden, p.weight, p.targets, options), gptbench::Error);
  options.chunk_rows = 4;
  options.compute_dtype = at::kLong;
  EXPECT_THROW(fused_lm_loss(p.hidden, p.weight, p.targets, options), gptbench::Error);
}

TEST(FusedLmLoss, NamesWhatRuns) {
  FusedLmLossOptions options;
  options.chunk_rows = 8192;
  EXPECT_EQ(fused_lm_loss_name(options, c10::Device(c10::kCPU)), "fused-chunked(8192 rows):cpu-reference-ops");
  EXPECT_EQ(fused_lm_loss_name(options, c10::Device(c10::kCUDA, 0)), "fused-chunked(8192 rows):cuda");
}

}  // namespace
