// attn-bench from the shared parts: its variant names map onto the registry's spec plus a forced
// SDPA backend, its ALiBi slopes are Press et al.'s (also for head counts that are not a power of
// two: H = 12 is GPT-2's), and its SDPA masks carry them.
#include <ATen/ATen.h>    // at::Tensor, at::isinf
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <cmath>   // std::pow
#include <string>  // std::string
#include <vector>  // std::vector

#include "attn_bench.h"               // attn_bench_slopes, attn_bench_sdpa_mask
#include "attn_bench_variant.h"       // parse_attn_variant
#include "gptbench/util/error.h"      // UsageError

namespace gptbench::bench {
namespace {

using attention::Kernel;

// Press et al.'s rule, written out for H = 12: the 8 slopes of 8 heads (2^-1 ... 2^-8), then
// every other slope of 16 heads (2^-0.5, 2^-1.5, 2^-2.5, 2^-3.5).
std::vector<double> press_slopes_12() {
  std::vector<double> s;
  for (int h = 1; h <= 8; ++h) s.push_back(std::pow(2.0, -h));
  for (double e : {0.5, 1.5, 2.5, 3.5}) s.push_back(std::pow(2.0, -e));
  return s;
}

TEST(AttnBenchVariant, NamesMapOntoTheRegistry) {
  const AttnVariant flash = parse_attn_variant("flash");
  EXPECT_EQ(flash.spec.kernel, Kernel::kFlash);
  EXPECT_FALSE(flash.sdpa_backend.has_value());
  EXPECT_TRUE(flash.is_dense_flash());

  const AttnVariant cudnn = parse_attn_variant("sdpa-cudnn+alibi+sparse");
  EXPECT_EQ(cudnn.name, "sdpa-cudnn+alibi+sparse");
  EXPECT_EQ(cudnn.spec.kernel, Kernel::kSdpa);
  ASSERT_TRUE(cudnn.sdpa_backend.has_value());
  EXPECT_EQ(*cudnn.sdpa_backend, at::SDPBackend::cudnn_attention);
  EXPECT_TRUE(cudnn.spec.alibi());
  EXPECT_TRUE(cudnn.spec.sparse());
  EXPECT_FALSE(cudnn.is_dense_flash());

  EXPECT_EQ(*parse_attn_variant("sdpa-math").sdpa_backend, at::SDPBackend::math);
  EXPECT_EQ(*parse_attn_variant("sdpa-efficient+sparse").sdpa_backend, at::SDPBackend::efficient_attention);
  EXPECT_EQ(*parse_attn_variant("sdpa-flash").sdpa_backend, at::SDPBackend::flash_attention);
  EXPECT_FALSE(parse_attn_variant("sdpa+alibi").sdpa_backend.has_value());  // PyTorch's choice
  EXPECT_TRUE(parse_attn_variant("flash+alibi+sparse").spec.alibi());
}

TEST(AttnBenchVariant, BadNamesAreUsageErrorsNamingTheFlag) {
  for (const char* bad : {"sdpa-foo", "standard", "alibi", "flash+alibi+alibi", "flash+dense", "sdpa-math+", "",
                          "flash+sdpa"}) {
    try {
      parse_attn_variant(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const UsageError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("--variants", 0), 0u) << e.what();
    }
  }
}

TEST(AttnBench, AlibiSlopesArePressEtAlsForTwelveHeads) {
  const at::Tensor slopes = attn_bench_slopes(12, c10::Device(c10::kCPU));
  ASSERT_EQ(slopes.sizes(), (at::IntArrayRef{12}));
  EXPECT_EQ(slopes.scalar_type(), at::kFloat);
  const std::vector<double> want = press_slopes_12();
  for (int h = 0; h < 12; ++h) {
    EXPECT_FLOAT_EQ(slopes[h].item<float>(), static_cast<float>(want[h])) << "head " << h;
  }
  // Not the geometric 2^(-8(h+1)/H) that attn-bench used before, which differs for H = 12.
  EXPECT_GT(std::abs(slopes[0].item<float>() - std::pow(2.0, -8.0 / 12.0)), 0.1);
}

TEST(AttnBench, SdpaAlibiMaskCarriesPressSlopes) {
  attention::AttentionSpec spec = parse_attn_variant("sdpa-math+alibi").spec;
  const int64_t tq = 5, tk = 5;
  const at::Tensor mask = attn_bench_sdpa_mask(spec, 12, tq, tk, at::kFloat, c10::Device(c10::kCPU));
  ASSERT_EQ(mask.sizes(), (at::IntArrayRef{1, 12, tq, tk}));
  const std::vector<double> slopes = press_slopes_12();
  for (int h = 0; h < 12; ++h) {
    for (int64_t i = 0; i < tq; ++i) {
      for (int64_t j = 0; j < tk; ++j) {
        const float got = mask[0][h][i][j].item<float>();
        if (j > i) {
          EXPECT_TRUE(std::isinf(got) && got < 0) << h << " " << i << " " << j;
        } else {
          EXPECT_FLOAT_EQ(got, static_cast<float>(-slopes[h] * (i - j))) << h << " " << i << " " << j;
        }
      }
    }
  }
  // Decode: one query at the last position sees every key, biased by its distance.
  const at::Tensor decode = attn_bench_sdpa_mask(spec, 12, 1, tk, at::kFloat, c10::Device(c10::kCPU));
  ASSERT_EQ(decode.sizes(), (at::IntArrayRef{1, 12, 1, tk}));
  EXPECT_FLOAT_EQ(decode[0][11][0][0].item<float>(), static_cast<float>(-slopes[11] * (tk - 1)));
}

TEST(AttnBench, SdpaWindowMaskAndPlainCausal) {
  attention::AttentionSpec spec = parse_attn_variant("sdpa-math+sparse").spec;
  spec.window = 2;
  spec.global_tokens = 1;
  const at::Tensor mask = attn_bench_sdpa_mask(spec, 12, 4, 4, at::kFloat, c10::Device(c10::kCPU));
  ASSERT_EQ(mask.sizes(), (at::IntArrayRef{1, 1, 4, 4}));
  ASSERT_EQ(mask.scalar_type(), at::kBool);
  // Query 3 sees itself, key 2 (window 2) and the sink key 0, not key 1.
  EXPECT_TRUE(mask[0][0][3][3].item<bool>());
  EXPECT_TRUE(mask[0][0][3][2].item<bool>());
  EXPECT_FALSE(mask[0][0][3][1].item<bool>());
  EXPECT_TRUE(mask[0][0][3][0].item<bool>());
  EXPECT_FALSE(mask[0][0][1][2].item<bool>());  // causal
  EXPECT_FALSE(attn_bench_sdpa_mask(parse_attn_variant("sdpa").spec, 12, 4, 4, at::kFloat, c10::Device(c10::kCPU))
                   .defined());  // is_causal instead of a mask
}

}  // namespace
}  // namespace gptbench::bench
