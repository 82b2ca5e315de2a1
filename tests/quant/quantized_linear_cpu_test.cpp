// quantized_linear on the CPU: dequantize, then the same composite as fused_linear (bit for bit),
// with every fusion; the path name; argument checks.
#include <ATen/ATen.h>          // at::randn, at::linear, at::equal
#include <c10/core/GradMode.h>  // at::NoGradGuard
#include <gtest/gtest.h>        // TEST, EXPECT_*

#include <string>  // std::string

#include "gptbench/kernels/fused_linear.h"      // fused_linear_reference, FusedLinearOptions
#include "gptbench/kernels/quantized_linear.h"  // quantized_linear, quantized_linear_path
#include "gptbench/quant/quantize.h"            // quantize, dequantize
#include "gptbench/util/error.h"                // gptbench::Error

namespace gptbench::kernels {
namespace {

using quant::QuantFormat;
using quant::QuantSpec;

TEST(QuantizedLinearCpu, EqualsDequantizeThenMatmul) {
  at::manual_seed(11);
  const int64_t k = 256, n = 96;
  for (const QuantSpec spec : {QuantSpec{QuantFormat::kInt8, 0, false}, QuantSpec{QuantFormat::kInt4, 0, false},
                               QuantSpec{QuantFormat::kInt4, 64, true}, QuantSpec{QuantFormat::kNf4, 0, false}}) {
    const quant::QuantizedWeight w = quant::quantize(at::randn({n, k}) * 0.05, spec);
    const at::Tensor x = at::randn({2, 3, k});
    const at::Tensor bias = at::randn({n});
    FusedLinearOptions with_bias;
    with_bias.bias = bias;
    std::string path;
    const at::Tensor got = quantized_linear(x, w, with_bias, &path);
    EXPECT_EQ(path, "dequant+aten");
    EXPECT_TRUE(at::equal(got, at::linear(x, quant::dequantize(w, at::kFloat), bias))) << quant::describe(w.spec);

    FusedLinearOptions o;  // every fusion at once: LayerNorm, bias, GELU, residual
    o.input = LinearInput::kLayerNorm;
    o.ln_weight = 1 + 0.1 * at::randn({k});
    o.ln_bias = 0.1 * at::randn({k});
    o.bias = bias;
    o.residual = at::randn({2, 3, n});
    o.activation = LinearActivation::kGeluTanh;
    EXPECT_TRUE(at::equal(quantized_linear(x, w, o), fused_linear_reference(x, quant::dequantize(w, at::kFloat), o)));
    EXPECT_EQ(quantized_linear_path(x, w, o), "dequant+aten");
  }
}

TEST(QuantizedLinearCpu, RunsUnderAutogradOnTheInput) {
  const quant::QuantizedWeight w = quant::quantize(at::randn({16, 64}), {QuantFormat::kInt8, 0, false});
  const at::Tensor x = at::randn({3, 64}).requires_grad_(true);
  quantized_linear(x, w).sum().backward();
  EXPECT_TRUE(at::equal(x.grad(), quant::dequantize(w).sum(0).expand({3, 64})));
}

TEST(QuantizedLinearCpu, ChecksArguments) {
  const quant::QuantizedWeight w = quant::quantize(at::randn({16, 64}), {QuantFormat::kInt4, 32, false});
  try {
    quantized_linear(at::randn({2, 32}), w);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("quantized_linear: x (..., K) and weight (N, K) disagree"), std::string::npos)
        << e.what();
  }
  FusedLinearOptions short_bias;
  short_bias.bias = at::randn({15});
  EXPECT_THROW(quantized_linear(at::randn({2, 64}), w, short_bias), Error);
  quant::QuantizedWeight broken = w;
  broken.zeros = at::Tensor();
  EXPECT_THROW(quantized_linear(at::randn({2, 64}), broken), Error);
}

}  // namespace
}  // namespace gptbench::kernels
