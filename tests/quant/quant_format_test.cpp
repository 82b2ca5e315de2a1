// Formats: spec resolution, error bounds of each format, the nibble order, bytes accounting and
// the checks of quantize / check_quantized_weight. (Bit-exactness against a transcription and
// bitsandbytes is quant_oracle.py's job.)
#include <ATen/ATen.h>    // at::randn, at::zeros, Tensor methods
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <limits>  // std::numeric_limits
#include <string>  // std::string

#include "gptbench/quant/quantize.h"          // quantize, dequantize, nf4_code, dynamic_code
#include "gptbench/quant/quantized_weight.h"  // QuantizedWeight, weight_bytes, check_quantized_weight
#include "gptbench/util/error.h"              // gptbench::Error, UsageError

namespace gptbench::quant {
namespace {

// Runs `f`, expecting an Error (of type E) whose message contains `part`.
template <typename E = Error, typename F>
void expect_error(F f, const std::string& part) {
  try {
    f();
    ADD_FAILURE() << "no error, expected one containing: " << part;
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(QuantSpec, DefaultsAndBadGroups) {
  EXPECT_EQ(resolve_spec({QuantFormat::kInt4, 0, false}, "--quant-group").group, 128);
  EXPECT_EQ(resolve_spec({QuantFormat::kNf4, 0, false}, "--quant-group").group, 64);
  EXPECT_EQ(resolve_spec({QuantFormat::kInt8, 0, false}, "--quant-group").group, 0);
  expect_error<UsageError>([] { resolve_spec({QuantFormat::kInt4, 48, false}, "--quant-group"); },
                           "--quant-group: the int4 group must be a positive multiple of 32, got 48");
  expect_error<UsageError>([] { resolve_spec({QuantFormat::kNf4, 96, false}, "--quant-group"); }, "power of two");
  expect_error<UsageError>([] { resolve_spec({QuantFormat::kInt8, 64, false}, "--quant-group"); }, "per output");
  expect_error<UsageError>([] { resolve_spec({QuantFormat::kNf4, 64, true}, "x"); }, "int4 only");
  EXPECT_EQ(describe(resolve_spec({QuantFormat::kInt4, 0, true}, "x")), "int4 g128 symmetric");
}

TEST(QuantFormats, ErrorWithinHalfAStep) {
  at::manual_seed(3);
  const at::Tensor w = at::randn({16, 256}) * 0.05;
  {  // int8: |w - deq| <= scale / 2 per row (plus the rounding of the division)
    const QuantizedWeight q = quantize(w, {QuantFormat::kInt8, 0, false});
    const at::Tensor err = (dequantize(q) - w).abs().amax(1);
    EXPECT_TRUE((err <= q.scales.to(at::kFloat) * 0.5001).all().item<bool>());
  }
  for (const bool symmetric : {false, true}) {  // int4: per group
    const QuantizedWeight q = quantize(w, {QuantFormat::kInt4, 64, symmetric});
    const at::Tensor err = (dequantize(q) - w).abs().view({16, 4, 64}).amax(2);
    // The asymmetric zero point is rounded too: up to a full step.
    EXPECT_TRUE((err <= q.scales.to(at::kFloat) * (symmetric ? 0.5001 : 1.0001)).all().item<bool>());
  }
  {  // nf4: the largest gap of the code book is 0.30 of the absmax (plus the 8-bit absmax error)
    const QuantizedWeight q = quantize(w, {QuantFormat::kNf4, 64, false});
    const at::Tensor absmax = w.abs().view({-1, 64}).amax(1);
    const at::Tensor err = (dequantize(q) - w).abs().view({-1, 64}).amax(1);
    EXPECT_TRUE((err <= absmax * 0.17).all().item<bool>()) << (err / absmax).max().item<float>();
  }
}

TEST(QuantFormats, ZerosStayZeroAndDtypeIsKept) {
  for (const auto spec : {QuantSpec{QuantFormat::kInt8, 0, false}, QuantSpec{QuantFormat::kInt4, 0, false},
                          QuantSpec{QuantFormat::kInt4, 0, true}, QuantSpec{QuantFormat::kNf4, 0, false}}) {
    at::Tensor w = at::randn({4, 256}).to(at::kBFloat16);
    w[1].zero_();
    const QuantizedWeight q = quantize(w, spec);
    const at::Tensor back = dequantize(q);
    EXPECT_EQ(back.scalar_type(), at::kBFloat16) << describe(q.spec);
    EXPECT_EQ(back[1].abs().max().item<double>(), 0.0) << describe(q.spec);
    if (q.scales.defined()) {
      EXPECT_EQ(q.scales.scalar_type(), at::kBFloat16);
    }
  }
}

TEST(QuantFormats, NibbleOrderIsHighFirst) {
  // One int4 symmetric row of 32 values, scale 1: byte 0x1F holds element 0 = 1 - 8 and element 1 = 15 - 8.
  QuantizedWeight q;
  q.spec = {QuantFormat::kInt4, 32, true};
  q.rows = 1;
  q.cols = 32;
  q.dtype = at::kFloat;
  q.data = at::full({1, 16}, 0x88, at::kByte);
  q.data[0][0] = 0x1F;
  q.scales = at::ones({1, 1}, at::kHalf);
  const at::Tensor back = dequantize(q);
  EXPECT_EQ(back[0][0].item<float>(), -7.f);
  EXPECT_EQ(back[0][1].item<float>(), 7.f);
  EXPECT_EQ(back[0][2].item<float>(), 0.f);
  // quantize packs the same way.
  const QuantizedWeight again = quantize(back, q.spec);
  EXPECT_EQ(again.data[0][0].item<uint8_t>(), 0x1F);
}

TEST(QuantFormats, BytesBeforeAndAfter) {
  const at::Tensor w = at::randn({768, 3072}).to(at::kHalf);
  const int64_t before = 768 * 3072 * 2;
  const WeightBytes i8 = weight_bytes(quantize(w, {QuantFormat::kInt8, 0, false}));
  EXPECT_EQ(i8.before, before);
  EXPECT_EQ(i8.after, 768 * 3072 + 768 * 2);
  const WeightBytes i4 = weight_bytes(quantize(w, {QuantFormat::kInt4, 0, false}));
  EXPECT_EQ(i4.after, 768 * 3072 / 2 + 768 * 24 * (2 + 1));
  EXPECT_LE(static_cast<double>(i4.after) / before, 0.3);  // issue 17's memory target
  const WeightBytes nf4 = weight_bytes(quantize(w, {QuantFormat::kNf4, 0, false}));
  const int64_t blocks = 768 * 3072 / 64;
  EXPECT_EQ(nf4.after, 768 * 3072 / 2 + blocks + (blocks + 255) / 256 * 4 + 4);
}

TEST(QuantFormats, QuantizeRefusesBadWeights) {
  const QuantSpec int4{QuantFormat::kInt4, 0, false};
  expect_error([&] { quantize(at::randn({4, 100}), int4); }, "K = 100 input features is not a multiple of the group 128");
  expect_error([&] { quantize(at::randn({4}), int4); }, "(N, K) matrix");
  expect_error([&] { quantize(at::ones({4, 128}, at::kInt), int4); }, "fp32, fp16 or bf16");
  at::Tensor bad = at::randn({2, 128});
  bad[1][3] = std::numeric_limits<float>::quiet_NaN();
  expect_error([&] { quantize(bad, int4); }, "inf or NaN");
}

TEST(QuantFormats, MalformedWeightsAreNamed) {
  QuantizedWeight q = quantize(at::randn({4, 128}), {QuantFormat::kInt4, 0, false});
  QuantizedWeight no_zeros = q;
  no_zeros.zeros = at::Tensor();
  expect_error([&] { dequantize(no_zeros); }, "dequantize: the zeros tensor is missing");
  QuantizedWeight wrong = q;
  wrong.scales = wrong.scales.to(at::kFloat);
  expect_error([&] { dequantize(wrong); }, "scales must be Half, got Float");
  QuantizedWeight shape = q;
  shape.cols = 256;
  expect_error([&] { dequantize(shape); }, "data must have shape [4, 128], got [4, 64]");
  QuantizedWeight extra = quantize(at::randn({4, 128}), {QuantFormat::kInt8, 0, false});
  extra.zeros = q.zeros;
  expect_error([&] { dequantize(extra); }, "has no zeros tensor");
}

TEST(QuantCodes, ShapesAndEnds) {
  const at::Tensor nf4 = nf4_code(), dyn = dynamic_code();
  ASSERT_EQ(nf4.numel(), 16);
  ASSERT_EQ(dyn.numel(), 256);
  EXPECT_EQ(nf4[0].item<float>(), -1.f);
  EXPECT_EQ(nf4[7].item<float>(), 0.f);
  EXPECT_EQ(dyn[255].item<float>(), 1.f);
  EXPECT_TRUE((dyn.slice(0, 1) > dyn.slice(0, 0, -1)).all().item<bool>());  // sorted, distinct
}

}  // namespace
}  // namespace gptbench::quant
