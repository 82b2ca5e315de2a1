// bench::summarize and bench::percentile: the median for odd and even counts, one sample, numpy's
// "linear" interpolation between order statistics, and the sample standard deviation.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <vector>  // std::vector

#include "gptbench/bench/stats.h"  // summarize, percentile

namespace gptbench::bench {
namespace {

TEST(Summarize, OddCountMedianIsTheMiddleSample) {
  const Summary s = summarize({5.0, 1.0, 3.0});  // unsorted: summarize sorts a copy
  EXPECT_EQ(s.n, 3);
  EXPECT_DOUBLE_EQ(s.p50, 3.0);
  EXPECT_DOUBLE_EQ(s.min, 1.0);
  EXPECT_DOUBLE_EQ(s.max, 5.0);
  EXPECT_DOUBLE_EQ(s.mean, 3.0);
  EXPECT_DOUBLE_EQ(s.std, 2.0);  // sample std: sqrt((4 + 0 + 4) / (3 - 1))
  EXPECT_EQ(s.samples, (std::vector<double>{5.0, 1.0, 3.0}));  // kept in the order measured
}

TEST(Summarize, EvenCountMedianAveragesTheMiddlePair) {
  EXPECT_DOUBLE_EQ(summarize({4.0, 1.0, 2.0, 10.0}).p50, 3.0);
  EXPECT_DOUBLE_EQ(summarize({1.0, 2.0}).p50, 1.5);
}

TEST(Summarize, OneSampleIsEveryStatistic) {
  const Summary s = summarize({0.25});
  EXPECT_EQ(s.n, 1);
  for (double v : {s.mean, s.min, s.p50, s.p90, s.p99, s.max}) EXPECT_DOUBLE_EQ(v, 0.25);
  EXPECT_DOUBLE_EQ(s.std, 0.0);  // undefined for n = 1; reported as 0
}

TEST(Summarize, NoSamplesGivesZeros) {
  const Summary s = summarize({});
  EXPECT_EQ(s.n, 0);
  EXPECT_DOUBLE_EQ(s.p50, 0.0);
  EXPECT_DOUBLE_EQ(percentile({}, 50), 0.0);
}

// numpy.percentile(x, q) with method="linear": rank q/100 * (n - 1), interpolated between the
// order statistics either side. Values computed by hand for x = 1..10.
TEST(Summarize, PercentilesInterpolateLinearlyBetweenOrderStatistics) {
  std::vector<double> x;
  for (int i = 10; i >= 1; --i) x.push_back(i);
  const Summary s = summarize(x);
  EXPECT_DOUBLE_EQ(s.p50, 5.5);   // rank 4.5
  EXPECT_NEAR(s.p90, 9.1, 1e-12);   // rank 8.1: 9 + 0.1 * (10 - 9)
  EXPECT_NEAR(s.p99, 9.91, 1e-12);  // rank 8.91
  const std::vector<double> sorted = {0.0, 10.0, 20.0, 40.0};
  EXPECT_DOUBLE_EQ(percentile(sorted, 0), 0.0);
  EXPECT_DOUBLE_EQ(percentile(sorted, 100), 40.0);
  EXPECT_DOUBLE_EQ(percentile(sorted, 25), 7.5);     // rank 0.75
  EXPECT_NEAR(percentile(sorted, 80), 28.0, 1e-12);  // rank 2.4: 20 + 0.4 * 20
}

}  // namespace
}  // namespace gptbench::bench
