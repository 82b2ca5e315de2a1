// model/lora_linear.h, CPU fp64: lora_linear and lora_add (one autograd node) against the unfused
// reference (at::linear + lora_update_reference, autograd through ATen ops): the output and the
// gradients of x, A, B (and of the base's weight through lora_add), with one pair over every row and
// with two pairs on row ranges around an unadapted gap; with dropout (same seed, same masks) against the
// reference and against central differences; no-grad calls; the frozen-base rule. On a CUDA device
// also bf16 under autocast, as the trainer runs it.
#include <ATen/Context.h>         // at::manual_seed, at::hasCUDA
#include <ATen/TensorOperators.h>  // Tensor operators
#include <ATen/ops/allclose.h>     // at::allclose
#include <ATen/ops/equal.h>        // at::equal
#include <ATen/ops/linear.h>       // at::linear
#include <ATen/ops/randn.h>        // at::randn
#include <c10/core/GradMode.h>     // c10::NoGradGuard
#include <gtest/gtest.h>           // TEST, EXPECT_*

#include <cmath>   // std::abs
#include <string>  // std::string
#include <vector>  // std::vector

#include "../support/autocast.h"            // test_support::Autocast
#include "../support/central_difference.h"  // test_support::central_difference
#include "gptbench/model/lora_linear.h"  // lora_linear, lora_add, lora_update_reference, LoraUpdate
#include "gptbench/util/error.h"         // Error

namespace gptbench::model {
namespace {

constexpr int64_t kIn = 24, kOut = 40, kRank = 3;
const auto kF64 = at::TensorOptions().dtype(at::kDouble);

// The tensors of one case: x (2, 5, in), the frozen weight and bias, the pairs' A and B (trainable),
// and a random cotangent w for the objective sum(y * w).
struct Case {
  at::Tensor x, weight, bias, w;
  LoraUpdate update;
};

// rows: each pair's [row0, rows); no bias when `bias` is false.
Case make_case(const std::vector<std::pair<int64_t, int64_t>>& rows, bool bias, double dropout, uint64_t seed) {
  at::manual_seed(seed);
  Case c;
  c.x = at::randn({2, 5, kIn}, kF64).requires_grad_(true);
  c.weight = at::randn({kOut, kIn}, kF64) * 0.2;
  if (bias) c.bias = at::randn({kOut}, kF64);
  c.w = at::randn({2, 5, kOut}, kF64);
  c.update.scaling = 8.0 / kRank;  // not a power of two
  c.update.dropout = dropout;
  for (const auto& [row0, n] : rows) {
    c.update.pairs.push_back({(at::randn({kRank, kIn}, kF64) * 0.3).requires_grad_(true),
                              (at::randn({n, kRank}, kF64) * 0.3).requires_grad_(true), row0});
  }
  return c;
}

std::vector<at::Tensor> trainable(const Case& c) {
  std::vector<at::Tensor> t = {c.x};
  for (const LoraPairRef& p : c.update.pairs) {
    t.push_back(p.a);
    t.push_back(p.b);
  }
  return t;
}

// The gradients of sum(y * w) with respect to `wrt` (cleared first), y from `forward`.
template <typename Forward>
std::vector<at::Tensor> gradients(const Case& c, const std::vector<at::Tensor>& wrt, Forward forward, at::Tensor* y) {
  for (const at::Tensor& t : wrt) {
    if (t.grad().defined()) t.mutable_grad() = at::Tensor();
  }
  *y = forward();
  (*y * c.w).sum().backward();
  std::vector<at::Tensor> g;
  for (const at::Tensor& t : wrt) g.push_back(t.grad().clone());
  return g;
}

void expect_close(const std::vector<at::Tensor>& got, const std::vector<at::Tensor>& want, const std::string& what) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_TRUE(got[i].defined()) << what << " gradient " << i;
    EXPECT_TRUE(at::allclose(got[i], want[i], 1e-11, 1e-12))
        << what << " gradient " << i << ": max diff " << (got[i] - want[i]).abs().max().item<double>();
  }
}

const std::vector<std::vector<std::pair<int64_t, int64_t>>> kLayouts = {
    {{0, kOut}},            // one site over every row (GPT-2's c_attn)
    {{0, 8}, {20, 12}},     // two sites with unadapted rows between and after (Llama's q and v of qkv_proj)
};

TEST(LoraLinear, ForwardAndGradientsEqualTheUnfusedOps) {
  for (const auto& layout : kLayouts) {
    for (bool bias : {true, false}) {
      const Case c = make_case(layout, bias, 0.0, 1);
      const std::vector<at::Tensor> wrt = trainable(c);
      at::Tensor want_y, got_y;
      const auto want = gradients(c, wrt, [&] {
        return at::linear(c.x, c.weight, c.bias) + lora_update_reference(c.x, c.update, kOut);
      }, &want_y);
      const auto got = gradients(c, wrt, [&] { return lora_linear(c.x, c.weight, c.bias, c.update); }, &got_y);
      const std::string what = std::to_string(layout.size()) + " pair(s), bias " + std::to_string(bias);
      EXPECT_EQ(got_y.sizes(), want_y.sizes());
      EXPECT_TRUE(at::allclose(got_y, want_y, 1e-12, 1e-12)) << what;
      expect_close(got, want, "lora_linear " + what);
    }
  }
}

// lora_add leaves the base to its own node: here a trainable weight, whose gradient flows through it.
TEST(LoraLinear, AddPassesTheBaseGradientThrough) {
  for (const auto& layout : kLayouts) {
    Case c = make_case(layout, true, 0.0, 2);
    c.weight.requires_grad_(true);
    std::vector<at::Tensor> wrt = trainable(c);
    wrt.push_back(c.weight);
    at::Tensor want_y, got_y;
    const auto want = gradients(c, wrt, [&] {
      return at::linear(c.x, c.weight, c.bias) + lora_update_reference(c.x, c.update, kOut);
    }, &want_y);
    const auto got = gradients(c, wrt, [&] { return lora_add(at::linear(c.x, c.weight, c.bias), c.x, c.update); },
                               &got_y);
    EXPECT_TRUE(at::allclose(got_y, want_y, 1e-12, 1e-12));
    expect_close(got, want, "lora_add, " + std::to_string(layout.size()) + " pair(s)");
  }
}

// Dropout: the same seed draws the same masks (one per pair, in order) in the fused node and in the
// reference's at::dropout calls, so both give the same output and gradients.
TEST(LoraLinear, DropoutMasksAndGradientsEqualTheUnfusedOps) {
  for (const auto& layout : kLayouts) {
    const Case c = make_case(layout, true, 0.3, 3);
    const std::vector<at::Tensor> wrt = trainable(c);
    at::Tensor want_y, got_y;
    const auto want = gradients(c, wrt, [&] {
      at::manual_seed(11);
      return at::linear(c.x, c.weight, c.bias) + lora_update_reference(c.x, c.update, kOut);
    }, &want_y);
    const auto got = gradients(c, wrt, [&] {
      at::manual_seed(11);
      return lora_linear(c.x, c.weight, c.bias, c.update);
    }, &got_y);
    EXPECT_TRUE(at::allclose(got_y, want_y, 1e-12, 1e-12));
    expect_close(got, want, "dropout, " + std::to_string(layout.size()) + " pair(s)");
    // The masks did something: without dropout the output differs.
    LoraUpdate plain = c.update;
    plain.dropout = 0;
    const c10::NoGradGuard no_grad;
    EXPECT_FALSE(at::allclose(got_y, lora_linear(c.x, c.weight, c.bias, plain), 1e-6, 1e-6));
  }
}

// The hand-written backward against central differences of the node's own forward (reseeded: the
// same masks every evaluation), every trainable tensor at three entries.
TEST(LoraLinear, GradientsEqualFiniteDifferences) {
  for (double dropout : {0.0, 0.25}) {
    const Case c = make_case(kLayouts[1], true, dropout, 4);
    auto objective = [&] {
      at::manual_seed(13);
      return (lora_linear(c.x, c.weight, c.bias, c.update) * c.w).sum();
    };
    const std::vector<at::Tensor> wrt = trainable(c);
    at::Tensor y;
    const auto grads = gradients(c, wrt, [&] {
      at::manual_seed(13);
      return lora_linear(c.x, c.weight, c.bias, c.update);
    }, &y);
    const double eps = 1e-6;
    for (size_t i = 0; i < wrt.size(); ++i) {
      for (int64_t flat : {int64_t{0}, wrt[i].numel() / 2, wrt[i].numel() - 1}) {
        const double fd = test_support::central_difference(wrt[i], flat, eps, objective);
        const double ad = grads[i].view(-1)[flat].item<double>();
        EXPECT_NEAR(ad, fd, 1e-7 + 1e-6 * std::abs(fd)) << "dropout " << dropout << " tensor " << i << "[" << flat << "]";
      }
    }
  }
}

TEST(LoraLinear, WithoutGradientsTheSameOutputAndTheBaseUntouched) {
  const Case c = make_case(kLayouts[1], true, 0.0, 5);
  const at::Tensor with_grad = lora_linear(c.x, c.weight, c.bias, c.update).detach();
  const c10::NoGradGuard no_grad;
  EXPECT_TRUE(at::equal(lora_linear(c.x, c.weight, c.bias, c.update), with_grad));
  const at::Tensor base = at::linear(c.x, c.weight, c.bias);
  const at::Tensor kept = base.clone();
  const at::Tensor y = lora_add(base, c.x, c.update);
  EXPECT_TRUE(at::equal(base, kept));  // lora_add wrote a new tensor
  EXPECT_TRUE(at::allclose(y, with_grad, 1e-12, 1e-12));
  // A zero B adds exactly nothing.
  LoraUpdate zero = c.update;
  for (LoraPairRef& p : zero.pairs) p.b = p.b.detach() * 0;
  EXPECT_TRUE(at::equal(lora_add(base, c.x, zero), base));
  EXPECT_TRUE(at::equal(lora_linear(c.x, c.weight, c.bias, zero), base));
}

TEST(LoraLinear, RefusesATrainableBaseAndOverlappingPairs) {
  Case c = make_case(kLayouts[0], true, 0.0, 6);
  c.weight.requires_grad_(true);
  EXPECT_THROW(lora_linear(c.x, c.weight, c.bias, c.update), Error);
  c = make_case({{0, 10}, {5, 10}}, true, 0.0, 6);
  try {
    lora_linear(c.x, c.weight, c.bias, c.update);
    ADD_FAILURE() << "overlapping pairs accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("overlap"), std::string::npos) << e.what();
  }
}

// On a CUDA device (lora_bench.sh runs this binary on the GPU machine; skipped elsewhere), bf16 under
// autocast as the trainer runs it: fp32 input (LayerNorm's), bf16 frozen weight, fp32 A and B. The fused
// node against the unfused ops under the same autocast, within bf16 rounding: the output, and the
// gradients of x, A and B (A's and B's in fp32, from cuBLAS's fp32 output). With dropout (p 0.5) both
// draw their masks on the same bf16 input, so the same seed gives the same masks.
TEST(LoraLinear, CudaBf16UnderAutocastAgreesWithTheUnfusedOps) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  const int64_t in = 256, out = 384, rank = 16;
  const auto f32 = at::TensorOptions().device(at::kCUDA).dtype(at::kFloat);
  for (double dropout : {0.0, 0.5}) {
    for (const auto& layout : std::vector<std::vector<std::pair<int64_t, int64_t>>>{{{0, out}}, {{0, 128}, {256, 128}}}) {
      SCOPED_TRACE("dropout " + std::to_string(dropout) + ", " + std::to_string(layout.size()) + " pair(s)");
      at::manual_seed(21);
      // With dropout the input is bf16 already, so that both draw their masks on the same tensor.
      at::Tensor x = at::randn({4, 64, in}, f32);
      if (dropout > 0) x = x.to(at::kBFloat16);
      x.requires_grad_(true);
      const at::Tensor weight = (at::randn({out, in}, f32) * 0.05).to(at::kBFloat16);
      const at::Tensor bias = at::randn({out}, f32).to(at::kBFloat16);
      const at::Tensor w = at::randn({4, 64, out}, f32);
      LoraUpdate u;
      u.scaling = 2;
      u.dropout = dropout;
      for (const auto& [row0, rows] : layout)
        u.pairs.push_back({(at::randn({rank, in}, f32) * 0.06).requires_grad_(true),
                           (at::randn({rows, rank}, f32) * 0.1).requires_grad_(true), row0});
      std::vector<at::Tensor> wrt = {x};
      for (const LoraPairRef& p : u.pairs) {
        wrt.push_back(p.a);
        wrt.push_back(p.b);
      }
      auto run = [&](bool fused, at::Tensor* y) {
        for (const at::Tensor& t : wrt) t.mutable_grad() = at::Tensor();
        {
          const test_support::Autocast autocast(at::kCUDA, at::kBFloat16);
          at::manual_seed(5);
          *y = fused ? lora_linear(x, weight, bias, u)
                     : at::linear(x, weight, bias) + lora_update_reference(x, u, out).to(at::kBFloat16);
        }
        (y->to(at::kFloat) * w).sum().backward();
        std::vector<at::Tensor> g;
        for (const at::Tensor& t : wrt) g.push_back(t.grad().to(at::kFloat));
        return g;
      };
      at::Tensor want_y, got_y;
      const auto want = run(false, &want_y);
      const auto got = run(true, &got_y);
      EXPECT_EQ(got_y.scalar_type(), at::kBFloat16);
      auto rel = [](const at::Tensor& a, const at::Tensor& b) {
        return ((a.to(at::kFloat) - b.to(at::kFloat)).norm() / b.to(at::kFloat).norm()).item<double>();
      };
      EXPECT_LT(rel(got_y, want_y), 1e-2);
      for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(wrt[i].grad().scalar_type(), wrt[i].scalar_type()) << "gradient " << i;
        EXPECT_LT(rel(got[i], want[i]), 2e-2) << "gradient " << i;
      }
    }
  }
}

}  // namespace
}  // namespace gptbench::model
