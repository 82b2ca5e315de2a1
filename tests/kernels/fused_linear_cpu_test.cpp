// fused_linear's composite (the CPU implementation, and the CUDA one above 8 rows) against the
// same math written out independently in fp64, the KV-cache store, and the argument checks.
#include <ATen/ATen.h>          // at::randn, at::tanh, at::erf, at::matmul
#include <c10/core/GradMode.h>  // at::NoGradGuard
#include <gtest/gtest.h>        // TEST, EXPECT_*

#include <cmath>   // std::sqrt, M_PI
#include <string>  // std::string

#include "gptbench/kernels/fused_linear.h"  // fused_linear, fused_linear_path, FusedLinearOptions, LinearInput
#include "gptbench/util/error.h"            // gptbench::Error

namespace gptbench::kernels {
namespace {

// The input step (LayerNorm, RMSNorm or SwiGLU's gate), linear, GELU and residual written out, in fp64.
at::Tensor written_out(const at::Tensor& x, const at::Tensor& w, const FusedLinearOptions& o) {
  at::Tensor h = x.to(at::kDouble);
  if (o.input == LinearInput::kLayerNorm) {
    const at::Tensor mean = h.mean(-1, /*keepdim=*/true);
    const at::Tensor var = (h - mean).pow(2).mean(-1, /*keepdim=*/true);  // biased, like torch
    h = (h - mean) / (var + o.ln_eps).sqrt() * o.ln_weight.to(at::kDouble) + o.ln_bias.to(at::kDouble);
  } else if (o.input == LinearInput::kRmsNorm) {
    h = h / (h.pow(2).mean(-1, /*keepdim=*/true) + o.ln_eps).sqrt() * o.ln_weight.to(at::kDouble);
  } else if (o.input == LinearInput::kSiluGate) {
    const int64_t k = h.size(-1) / 2;
    const at::Tensor a = h.narrow(-1, 0, k);
    h = a / (1 + (-a).exp()) * h.narrow(-1, k, k);
  }
  at::Tensor y = at::matmul(h, w.to(at::kDouble).t());
  if (o.bias.defined()) y = y + o.bias.to(at::kDouble);
  if (o.activation == LinearActivation::kGeluTanh) {
    y = 0.5 * y * (1 + at::tanh(std::sqrt(2 / M_PI) * (y + 0.044715 * y.pow(3))));
  } else if (o.activation == LinearActivation::kGeluErf) {
    y = 0.5 * y * (1 + at::erf(y / std::sqrt(2.0)));
  }
  if (o.residual.defined()) y = y + o.residual.to(at::kDouble);
  return y;
}

struct Case {
  LinearInput input;
  bool bias, residual;
  LinearActivation activation;
};

TEST(FusedLinearCpu, CompositeEqualsTheMathWrittenOut) {
  at::manual_seed(0);
  const int64_t b = 3, t = 2, k = 24, n = 40;
  using In = LinearInput;
  for (const Case c : {Case{In::kAsIs, false, false, LinearActivation::kNone},
                       Case{In::kLayerNorm, true, false, LinearActivation::kNone},
                       Case{In::kLayerNorm, true, false, LinearActivation::kGeluTanh},
                       Case{In::kAsIs, true, true, LinearActivation::kGeluErf},
                       Case{In::kLayerNorm, true, true, LinearActivation::kGeluTanh},
                       Case{In::kRmsNorm, false, false, LinearActivation::kNone},
                       Case{In::kRmsNorm, false, true, LinearActivation::kNone},
                       Case{In::kSiluGate, false, true, LinearActivation::kNone},
                       Case{In::kSiluGate, true, false, LinearActivation::kGeluTanh}}) {
    for (const at::ScalarType dtype : {at::kFloat, at::kDouble}) {
      const auto opt = at::TensorOptions().dtype(dtype);
      const int64_t width = c.input == In::kSiluGate ? 2 * k : k;
      const at::Tensor x = at::randn({b, t, width}, opt), w = at::randn({n, k}, opt) / std::sqrt(double(k));
      FusedLinearOptions o;
      o.input = c.input;
      if (c.input == In::kLayerNorm || c.input == In::kRmsNorm) {
        o.ln_weight = 1 + 0.1 * at::randn({k}, opt);
        o.ln_eps = c.input == In::kRmsNorm ? 1e-6 : 1e-5;
      }
      if (c.input == In::kLayerNorm) o.ln_bias = 0.1 * at::randn({k}, opt);
      if (c.bias) o.bias = at::randn({n}, opt);
      if (c.residual) o.residual = at::randn({b, t, n}, opt);
      o.activation = c.activation;
      std::string path;
      const at::Tensor got = fused_linear(x, w, o, &path);
      EXPECT_EQ(path, "aten");
      ASSERT_EQ(got.sizes(), (std::vector<int64_t>{b, t, n}));
      EXPECT_EQ(got.scalar_type(), dtype);
      const double tol = dtype == at::kDouble ? 1e-12 : 2e-5;
      const double err = (got.to(at::kDouble) - written_out(x, w, o)).abs().max().item<double>();
      EXPECT_LT(err, tol) << "input " << static_cast<int>(c.input) << " bias " << c.bias << " residual " << c.residual << " activation "
                          << static_cast<int>(c.activation) << " " << c10::toString(dtype);
    }
  }
}

TEST(FusedLinearCpu, WrongMathIsCaught) {
  // The comparison above can fail: the exact GELU is not the tanh one, and a missing bias shows.
  at::manual_seed(1);
  const at::Tensor x = at::randn({4, 16}), w = at::randn({8, 16});
  FusedLinearOptions o;
  o.bias = at::randn({8});
  o.activation = LinearActivation::kGeluErf;
  FusedLinearOptions tanh_gelu = o;
  tanh_gelu.activation = LinearActivation::kGeluTanh;
  EXPECT_GT((fused_linear(x, w, o).to(at::kDouble) - written_out(x, w, tanh_gelu)).abs().max().item<double>(), 1e-4);
  FusedLinearOptions no_bias = o;
  no_bias.bias = at::Tensor();
  EXPECT_GT((fused_linear(x, w, o).to(at::kDouble) - written_out(x, w, no_bias)).abs().max().item<double>(), 1e-2);
  // RMSNorm is not LayerNorm without its bias (the mean is not removed).
  FusedLinearOptions rms;
  rms.input = LinearInput::kRmsNorm;
  rms.ln_weight = at::ones({16});
  FusedLinearOptions layer = rms;
  layer.input = LinearInput::kLayerNorm;
  layer.ln_bias = at::zeros({16});
  const at::Tensor shifted = x + 1;
  EXPECT_GT((fused_linear(shifted, w, rms).to(at::kDouble) - written_out(shifted, w, layer)).abs().max().item<double>(),
            1e-2);
}

TEST(FusedLinearCpu, StoresKeysAndValuesAtTheDevicePosition) {
  at::manual_seed(2);
  const int64_t b = 2, heads = 3, d = 4, c = heads * d, capacity = 6, pos = 4;
  const at::Tensor x = at::randn({b, 1, c}), w = at::randn({3 * c, c});
  const at::Tensor cache = at::full({2, b, heads, capacity, d}, 7.0);
  FusedLinearOptions o;
  o.bias = at::randn({3 * c});
  o.kv_cache = cache;
  o.kv_pos = at::full({1}, pos, at::kLong);
  o.kv_col0 = c;
  const at::Tensor qkv = fused_linear(x, w, o);  // (B, 1, 3C)
  const at::Tensor expected = qkv.view({b, 3, heads, d});
  for (int64_t which = 0; which < 2; ++which) {
    // cache[which, b, h, pos, :] == column block 1 + which of row b.
    EXPECT_TRUE(at::equal(cache[which].select(2, pos), expected.select(1, 1 + which))) << "which " << which;
  }
  const at::Tensor untouched = at::cat({cache.narrow(3, 0, pos), cache.narrow(3, pos + 1, capacity - pos - 1)}, 3);
  EXPECT_TRUE(at::equal(untouched, at::full_like(untouched, 7.0)));
}

TEST(FusedLinearCpu, RejectsInconsistentArguments) {
  const at::Tensor x = at::randn({2, 8}), w = at::randn({6, 8});
  auto rejects = [&](const at::Tensor& xx, const at::Tensor& ww, const FusedLinearOptions& o, const char* needle) {
    try {
      fused_linear(xx, ww, o);
      ADD_FAILURE() << "accepted; expected an error containing \"" << needle << "\"";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  rejects(x, at::randn({6, 7}), {}, "disagree");
  FusedLinearOptions bad_bias;
  bad_bias.bias = at::randn({5});
  rejects(x, w, bad_bias, "bias");
  FusedLinearOptions bad_residual;
  bad_residual.residual = at::randn({2, 5});
  rejects(x, w, bad_residual, "residual");
  FusedLinearOptions half_ln;
  half_ln.input = LinearInput::kLayerNorm;
  half_ln.ln_weight = at::ones({8});
  rejects(x, w, half_ln, "LayerNorm");
  FusedLinearOptions rms_with_bias = half_ln;
  rms_with_bias.input = LinearInput::kRmsNorm;
  rms_with_bias.ln_bias = at::zeros({8});
  rejects(x, w, rms_with_bias, "RMSNorm");
  FusedLinearOptions stray_weight;
  stray_weight.ln_weight = at::ones({8});  // kAsIs takes none
  rejects(x, w, stray_weight, "other inputs neither");
  FusedLinearOptions gate;
  gate.input = LinearInput::kSiluGate;  // x must be (..., 2K)
  rejects(x, w, gate, "(..., 2K)");
  FusedLinearOptions short_rms;
  short_rms.input = LinearInput::kRmsNorm;
  short_rms.ln_weight = at::ones({7});
  rejects(x, w, short_rms, "norm weight");
  FusedLinearOptions bad_cache;
  bad_cache.kv_cache = at::zeros({2, 3, 1, 4, 2});  // 3 rows, x has 2
  bad_cache.kv_pos = at::zeros({1}, at::kLong);
  rejects(x, w, bad_cache, "one token per batch row");
  FusedLinearOptions bad_pos;
  bad_pos.kv_cache = at::zeros({2, 2, 1, 4, 2});
  bad_pos.kv_pos = at::zeros({1}, at::kInt);
  rejects(x, w, bad_pos, "kv_pos");
}

TEST(FusedLinearCpu, PathIsAtenOnCpu) {
  const at::Tensor x = at::randn({1, 8}, at::kHalf), w = at::randn({4, 8}, at::kHalf);
  EXPECT_EQ(fused_linear_path(x, w, {}), "aten");
}

}  // namespace
}  // namespace gptbench::kernels
