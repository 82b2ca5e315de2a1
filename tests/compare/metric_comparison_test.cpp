// Verdicts of single metrics: thresholds crossed strictly, the latency noise rule, too few samples.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include "gptbench/compare/metric_comparison.h"  // compare_latency, compare_memory, compare_quality
#include "gptbench/compare/noise.h"              // quantile, interquartile_range, latency_spread
#include "report_fixture.h"                      // samples_around

namespace gptbench::compare {
namespace {

using testing::samples_around;

LatencySamples latency(double median, double rel_spread, int n = 20) { return {median, samples_around(median, rel_spread, n)}; }

TEST(CompareNoise, QuantilesInterpolateLikeNumpy) {
  // numpy.quantile([4, 1, 3, 2], [0.25, 0.5, 0.75]) == [1.75, 2.5, 3.25]
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 0.25), 1.75);
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 0.75), 3.25);
  EXPECT_DOUBLE_EQ(interquartile_range({4, 1, 3, 2}), 1.5);
  EXPECT_DOUBLE_EQ(interquartile_range({7}), 0.0);
  EXPECT_DOUBLE_EQ(quantile({}, 0.5), 0.0);
}

TEST(CompareNoise, SpreadIsTheLargerIqrAndNeedsEnoughSamples) {
  const std::vector<double> narrow = {10, 10, 10, 10, 10}, wide = {1, 5, 10, 15, 19};
  ASSERT_TRUE(latency_spread(narrow, wide, 5).has_value());
  EXPECT_DOUBLE_EQ(*latency_spread(narrow, wide, 5), 10.0);  // IQR of wide: 15 - 5
  EXPECT_DOUBLE_EQ(*latency_spread(wide, narrow, 5), 10.0);
  EXPECT_FALSE(latency_spread(narrow, {1, 2, 3, 4}, 5).has_value());
}

TEST(CompareLatencyVerdict, TwentyPercentSlowerWithTightSamplesRegresses) {
  const MetricComparison m = compare_latency("latency.ttft.p50", latency(4.0, 0.01), latency(4.8, 0.01), Thresholds{});
  EXPECT_EQ(m.verdict, Verdict::kRegressed) << m.note;
  ASSERT_TRUE(m.relative_change.has_value());
  EXPECT_NEAR(*m.relative_change, 0.20, 1e-12);
  ASSERT_TRUE(m.spread.has_value());
  EXPECT_LT(*m.spread, 0.8);
  EXPECT_NE(m.note.find("beyond the spread"), std::string::npos);
}

TEST(CompareLatencyVerdict, ThreePercentSlowerIsOk) {
  EXPECT_EQ(compare_latency("t", latency(4.0, 0.01), latency(4.12, 0.01), Thresholds{}).verdict, Verdict::kOk);
}

TEST(CompareLatencyVerdict, TwentyPercentSlowerWithinAHugeSpreadIsNoisy) {
  const MetricComparison m = compare_latency("t", latency(4.0, 0.6), latency(4.8, 0.6), Thresholds{});
  EXPECT_EQ(m.verdict, Verdict::kNoisy);
  EXPECT_NE(m.note.find("within the spread"), std::string::npos) << m.note;
}

TEST(CompareLatencyVerdict, FasterBeyondTheSpreadImproves) {
  EXPECT_EQ(compare_latency("t", latency(4.0, 0.01), latency(3.0, 0.01), Thresholds{}).verdict, Verdict::kImproved);
  EXPECT_EQ(compare_latency("t", latency(4.0, 0.6), latency(3.0, 0.6), Thresholds{}).verdict, Verdict::kNoisy);
}

TEST(CompareLatencyVerdict, TooFewSamplesSaysSoAndTheThresholdAloneDecides) {
  const MetricComparison slow = compare_latency("t", latency(4.0, 0.6, 3), latency(4.8, 0.6, 3), Thresholds{});
  EXPECT_EQ(slow.verdict, Verdict::kRegressed);
  EXPECT_FALSE(slow.spread.has_value());
  EXPECT_NE(slow.note.find("spread not judged"), std::string::npos) << slow.note;
  const MetricComparison same = compare_latency("t", latency(4.0, 0.0, 2), latency(4.0, 0.0, 2), Thresholds{});
  EXPECT_EQ(same.verdict, Verdict::kOk);
  EXPECT_NE(same.note.find("fewer than 5"), std::string::npos) << same.note;
}

TEST(CompareLatencyVerdict, ThresholdIsConfigurableAndCrossedStrictly) {
  Thresholds t;
  t.max_latency_regression = 0.25;
  EXPECT_EQ(compare_latency("t", latency(4.0, 0.0), latency(4.8, 0.0), t).verdict, Verdict::kOk);
  t.max_latency_regression = 0.20;  // exactly +20%: not crossed
  EXPECT_EQ(compare_latency("t", latency(4.0, 0.0), latency(4.8, 0.0), t).verdict, Verdict::kOk);
  t.max_latency_regression = 0.19;
  EXPECT_EQ(compare_latency("t", latency(4.0, 0.0), latency(4.8, 0.0), t).verdict, Verdict::kRegressed);
}

TEST(CompareMemoryVerdict, RelativeToPeakAllocated) {
  EXPECT_EQ(compare_memory("m", 1000, 1100, 0.05).verdict, Verdict::kRegressed);
  EXPECT_EQ(compare_memory("m", 1000, 1030, 0.05).verdict, Verdict::kOk);
  EXPECT_EQ(compare_memory("m", 1000, 900, 0.05).verdict, Verdict::kImproved);
  EXPECT_EQ(compare_memory("m", 0, 100, 0.05).verdict, Verdict::kRegressed);
  EXPECT_FALSE(compare_memory("m", 0, 100, 0.05).relative_change.has_value());
}

TEST(CompareQualityVerdict, AbsoluteDrop) {
  EXPECT_EQ(compare_quality("q", 0.300, 0.290, 0.005).verdict, Verdict::kRegressed);
  EXPECT_EQ(compare_quality("q", 0.300, 0.296, 0.005).verdict, Verdict::kOk);
  EXPECT_EQ(compare_quality("q", 0.300, 0.295, 0.005).verdict, Verdict::kOk);  // exactly the threshold
  EXPECT_EQ(compare_quality("q", 0.300, 0.310, 0.005).verdict, Verdict::kImproved);
}

}  // namespace
}  // namespace gptbench::compare
