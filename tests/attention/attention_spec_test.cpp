// ALiBi slopes and variant names. Slopes are pinned to the values of Press et al.'s reference
// get_slopes() (ofirpress/attention_with_linear_biases), evaluated in Python.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <vector>  // std::vector

#include "gptbench/attention/alibi.h"    // alibi_slopes
#include "gptbench/attention/variant.h"  // parse_variant, variant_name, list_variants
#include "gptbench/util/error.h"         // UsageError

using namespace gptbench::attention;

namespace {
void expect_slopes(int64_t n, const std::vector<double>& expected) {
  const std::vector<double> got = alibi_slopes(n);
  ASSERT_EQ(got.size(), expected.size()) << n << " heads";
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-15) << n << " heads, head " << i;
}
}  // namespace

TEST(AlibiSlopes, PowerOfTwoHeads) {
  expect_slopes(8, {0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625, 0.0078125, 0.00390625});
  expect_slopes(16, {0.7071067811865476, 0.5000000000000001, 0.35355339059327384, 0.25000000000000006,
                     0.17677669529663692, 0.12500000000000006, 0.08838834764831849, 0.06250000000000004,
                     0.044194173824159244, 0.03125000000000002, 0.022097086912079626, 0.01562500000000001,
                     0.011048543456039816, 0.007812500000000007, 0.005524271728019908, 0.003906250000000004});
}

TEST(AlibiSlopes, NonPowerOfTwoHeadsFollowThePaperRule) {
  expect_slopes(12, {0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625, 0.0078125, 0.00390625, 0.7071067811865476,
                     0.35355339059327384, 0.17677669529663692, 0.08838834764831849});
  expect_slopes(25, {0.7071067811865476, 0.5000000000000001, 0.35355339059327384, 0.25000000000000006,
                     0.17677669529663692, 0.12500000000000006, 0.08838834764831849, 0.06250000000000004,
                     0.044194173824159244, 0.03125000000000002, 0.022097086912079626, 0.01562500000000001,
                     0.011048543456039816, 0.007812500000000007, 0.005524271728019908, 0.003906250000000004,
                     0.8408964152537145, 0.5946035575013604, 0.42044820762685714, 0.2973017787506802,
                     0.21022410381342854, 0.14865088937534005, 0.10511205190671426, 0.07432544468767001,
                     0.052556025953357115});
}

TEST(Variant, ParsesKernelsAndModifiersInAnyOrder) {
  EXPECT_EQ(parse_variant("standard").kernel, Kernel::kStandard);
  const AttentionSpec a = parse_variant("alibi");  // a modifier alone runs on the standard kernel
  EXPECT_EQ(a.kernel, Kernel::kStandard);
  EXPECT_EQ(a.positions, PositionMode::kAlibi);
  EXPECT_FALSE(a.uses_learned_positions());
  const AttentionSpec f = parse_variant("sparse+flash+alibi-wpe", {int64_t{64}, int64_t{4}});
  EXPECT_EQ(f.kernel, Kernel::kFlash);
  EXPECT_EQ(f.positions, PositionMode::kAlibiWithLearned);
  EXPECT_TRUE(f.uses_learned_positions());
  EXPECT_EQ(f.window, 64);
  EXPECT_EQ(f.global_tokens, 4);
  EXPECT_EQ(variant_name(f), "flash+alibi-wpe+sparse");
  EXPECT_EQ(parse_variant("sdpa+sparse").window, kDefaultWindow);
}

TEST(Variant, RejectsBadNamesAndFlags) {
  for (const char* bad : {"", "flsh", "flash+sdpa", "alibi+alibi", "sparse+sparse", "flash+", "+alibi", "flash++alibi"})
    EXPECT_THROW(parse_variant(bad), gptbench::UsageError) << bad;
  EXPECT_THROW(parse_variant("flash", {int64_t{128}, std::nullopt}), gptbench::UsageError);  // window without sparse
  EXPECT_THROW(parse_variant("sparse", {int64_t{0}, std::nullopt}), gptbench::UsageError);   // window < 1
  EXPECT_THROW(parse_variant("flash", {std::nullopt, int64_t{4}}), gptbench::UsageError);    // sinks without sparse
  try {
    parse_variant("flash+rope");
    FAIL() << "flash+rope accepted";
  } catch (const gptbench::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("alibi"), std::string::npos) << "message lists the valid names";
  }
}

TEST(Variant, EveryListedVariantParsesBackToItsName) {
  const auto all = list_variants();
  EXPECT_EQ(all.size(), 21u);  // 3 kernels x 3 position modes x dense/sparse, maskmix, performer, nsa
  for (const auto& v : all) EXPECT_EQ(variant_name(parse_variant(v.name)), v.name);
}
