// model::Projection: a dense one is fused_linear on the same weight bit for bit (every fusion) under the
// parameter names torch::nn::Linear had; a quantized one is the dense projection of dequantize(quantize(W));
// an adapter adds before the activation, the KV store and the residual; device moves carry the
// quantized weight.
#include <ATen/ATen.h>          // at::randn, at::equal, at::linear, at::zeros
#include <c10/core/GradMode.h>  // at::NoGradGuard
#include <gtest/gtest.h>        // TEST, EXPECT_*

#include <memory>  // std::make_shared
#include <string>  // std::string
#include <vector>  // std::vector

#include "gptbench/kernels/fused_linear.h"   // fused_linear, fused_linear_reference, FusedLinearOptions
#include "gptbench/model/linear_dispatch.h"  // LinearDispatch
#include "gptbench/model/projection.h"       // Projection, ProjectionAdapter
#include "gptbench/quant/quantize.h"         // quantize, dequantize
#include "gptbench/util/error.h"             // gptbench::Error

namespace gptbench::model {
namespace {

using kernels::FusedLinearOptions;
using kernels::LinearActivation;
using kernels::LinearInput;
using quant::QuantFormat;
using quant::QuantSpec;

constexpr int64_t kIn = 64, kOut = 96;

Projection filled(bool bias, const std::shared_ptr<LinearDispatch>& dispatch) {
  Projection p(kIn, kOut, bias, dispatch);
  at::NoGradGuard no_grad;
  p->weight.copy_(at::randn({kOut, kIn}) * 0.05);
  if (bias) p->bias.copy_(at::randn({kOut}));
  return p;
}

// Every fusion a model uses: LayerNorm prologue, GELU, residual.
FusedLinearOptions all_fusions(const at::Tensor& residual) {
  FusedLinearOptions o;
  o.input = LinearInput::kLayerNorm;
  o.ln_weight = 1 + 0.1 * at::randn({kIn});
  o.ln_bias = 0.1 * at::randn({kIn});
  o.activation = LinearActivation::kGeluTanh;
  o.residual = residual;
  return o;
}

std::vector<std::string> names_of(const ProjectionImpl& p) {
  std::vector<std::string> out;
  for (const auto& item : p.named_parameters()) out.push_back(item.key());
  return out;
}

// x @ D^T: an adapter whose update is the dense matrix D (out, in).
class MatrixAdapter : public ProjectionAdapter {
 public:
  explicit MatrixAdapter(const at::Tensor& d) { d_ = register_parameter("d", d); }
  at::Tensor forward(const at::Tensor& x) override { return at::linear(x, d_); }

 private:
  at::Tensor d_;
};

TEST(Projection, DenseIsFusedLinearOnTheSameWeightBitForBitUnderLinearsParameterNames) {
  at::manual_seed(1);
  auto dispatch = std::make_shared<LinearDispatch>();
  Projection p = filled(/*bias=*/true, dispatch);
  EXPECT_EQ(names_of(*p), (std::vector<std::string>{"weight", "bias"}));
  EXPECT_EQ(names_of(*Projection(kIn, kOut, /*bias=*/false, dispatch)), std::vector<std::string>{"weight"});
  const at::Tensor x = at::randn({2, 3, kIn});
  FusedLinearOptions o = all_fusions(at::randn({2, 3, kOut}));
  const at::Tensor got = p->forward(x, o);
  o.bias = p->bias;
  EXPECT_TRUE(at::equal(got, kernels::fused_linear(x, p->weight, o)));
  EXPECT_TRUE(at::equal(p->forward(x), at::linear(x, p->weight, p->bias)));
  EXPECT_EQ(dispatch->joined(), "aten");
  EXPECT_EQ(p->weight_bytes(), kOut * kIn * 4);
}

TEST(Projection, BuildsInTheAskedDtypeUninitialised) {
  const Projection p(kIn, kOut, /*bias=*/true, std::make_shared<LinearDispatch>(), at::TensorOptions(at::kHalf));
  EXPECT_EQ(p->weight.scalar_type(), at::kHalf);
  EXPECT_EQ(p->bias.scalar_type(), at::kHalf);
  EXPECT_EQ(p->weight.sizes(), (std::vector<int64_t>{kOut, kIn}));
}

TEST(Projection, QuantizedIsTheDenseProjectionOfDequantizedWeightsAndLeavesTheParameters) {
  for (const QuantSpec spec : {QuantSpec{QuantFormat::kInt8, 0, false}, QuantSpec{QuantFormat::kInt4, 32, false},
                               QuantSpec{QuantFormat::kNf4, 0, false}}) {
    at::manual_seed(2);
    auto dispatch = std::make_shared<LinearDispatch>();
    Projection p = filled(/*bias=*/true, dispatch);
    const at::Tensor dense = p->weight.clone();
    p->quantize(spec, "h.0.mlp.c_fc");
    ASSERT_TRUE(p->is_quantized());
    EXPECT_FALSE(p->weight.defined());
    EXPECT_EQ(names_of(*p), std::vector<std::string>{"bias"});
    const at::Tensor reference = quant::dequantize(quant::quantize(dense, spec));
    EXPECT_TRUE(at::equal(p->effective_weight(), reference));
    const at::Tensor x = at::randn({2, 3, kIn});
    FusedLinearOptions o = all_fusions(at::randn({2, 3, kOut}));
    const at::Tensor got = p->forward(x, o);
    o.bias = p->bias;
    EXPECT_TRUE(at::equal(got, kernels::fused_linear_reference(x, reference, o))) << quant::describe(spec);
    EXPECT_EQ(dispatch->joined(), "dequant+aten");
    EXPECT_EQ(p->weight_bytes(), quant::weight_bytes(p->quantized()).after);
    EXPECT_LT(p->weight_bytes(), kOut * kIn * 4 / 3);
  }
}

TEST(Projection, AQuantizeErrorNamesTheLayer) {
  Projection p = filled(/*bias=*/false, std::make_shared<LinearDispatch>());
  try {
    p->quantize({QuantFormat::kInt4, 128, false}, "h.3.attn.c_proj");  // K = 64
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("h.3.attn.c_proj.weight"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(p->is_quantized());
}

TEST(Projection, SetQuantizedChecksTheShape) {
  Projection p = filled(/*bias=*/false, std::make_shared<LinearDispatch>());
  try {
    p->set_quantized(quant::quantize(at::randn({kIn, kIn}), {QuantFormat::kInt8, 0, false}), "layers.0.mlp.down_proj");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("layers.0.mlp.down_proj.weight: the quantized weight is (64, 64), the model "
                                         "expects (96, 64)"),
              std::string::npos)
        << e.what();
  }
}

TEST(Projection, AnAdapterAddsBeforeTheActivationKvStoreAndResidual) {
  at::manual_seed(3);
  auto dispatch = std::make_shared<LinearDispatch>();
  Projection p = filled(/*bias=*/true, dispatch);
  const at::Tensor d = at::randn({kOut, kIn}) * 0.01;
  p->set_adapter(std::make_shared<MatrixAdapter>(d), "lora");
  EXPECT_EQ(names_of(*p), (std::vector<std::string>{"weight", "bias", "lora.d"}));
  // A one-token step with a KV store into a (2, B, H, capacity, D) cache at position 5: columns 32..95.
  const int64_t b = 2, h = 2, hd = 16;
  const at::Tensor x = at::randn({b, 1, kIn});
  FusedLinearOptions o = all_fusions(at::randn({b, 1, kOut}));
  o.kv_cache = at::zeros({2, b, h, 8, hd});
  o.kv_pos = at::full({1}, 5, at::kLong);
  o.kv_col0 = 32;
  const at::Tensor got = p->forward(x, o);
  FusedLinearOptions r = o;
  r.bias = p->bias;
  r.kv_cache = at::zeros({2, b, h, 8, hd});
  const at::Tensor want = kernels::fused_linear_reference(x, p->weight + d, r);
  EXPECT_TRUE(at::allclose(got, want, 1e-5, 1e-5));
  EXPECT_TRUE(at::allclose(o.kv_cache, r.kv_cache, 1e-5, 1e-5));
  EXPECT_GT(o.kv_cache.abs().sum().item<float>(), 0);
  p->remove_adapter();
  EXPECT_EQ(names_of(*p), (std::vector<std::string>{"weight", "bias"}));
  EXPECT_EQ(p->adapter(), nullptr);
}

}  // namespace
}  // namespace gptbench::model
