// bench::summarize and bench::percentile: the median for odd and even counts, one sample, numpy's
// "linear" interpolation between order statistics, and the sample standard deviation.
#include <gtest/gtest.h>  // TEST, EXPECT_*
#include <nlohmann/json.hpp>  // nlohmann::json

#include <vector>  // std::vector

#include "gptbench/bench/stats.h"  // summarize, percentile, to_json

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
  for (double v : {s.mean, s.min, s.p50, s.max}) EXPECT_DOUBLE_EQ(v, 0.25);
  EXPECT_DOUBLE_EQ(s.std, 0.0);  // undefined for n = 1; reported as 0
  EXPECT_FALSE(s.p90.has_value());  // one sample backs no tail
  EXPECT_FALSE(s.p99.has_value());
}

// p90 from 10 samples on, p99 from 100 on: below that the percentile is just the largest samples.
TEST(Summarize, TailPercentilesNeedEnoughSamples) {
  auto ramp = [](int n) {
    std::vector<double> x;
    for (int i = 1; i <= n; ++i) x.push_back(i);
    return x;
  };
  EXPECT_FALSE(summarize(ramp(9)).p90.has_value());
  ASSERT_TRUE(summarize(ramp(10)).p90.has_value());
  EXPECT_FALSE(summarize(ramp(10)).p99.has_value());
  EXPECT_FALSE(summarize(ramp(99)).p99.has_value());
  const Summary hundred = summarize(ramp(100));
  ASSERT_TRUE(hundred.p99.has_value());
  EXPECT_NEAR(*hundred.p99, 99.01, 1e-9);  // rank 98.01: 99 + 0.01 * (100 - 99)
  EXPECT_NEAR(*hundred.p90, 90.1, 1e-9);   // rank 89.1
  // The JSON says null for a withheld percentile and keeps n beside it.
  const nlohmann::json j = to_json(summarize(ramp(9)));
  EXPECT_EQ(j.at("n"), 9);
  EXPECT_TRUE(j.at("p90").is_null());
  EXPECT_TRUE(j.at("p99").is_null());
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
  ASSERT_TRUE(s.p90.has_value());
  EXPECT_NEAR(*s.p90, 9.1, 1e-12);  // rank 8.1: 9 + 0.1 * (10 - 9)
  EXPECT_FALSE(s.p99.has_value());  // 10 samples back no p99
  EXPECT_NEAR(percentile({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 99), 9.91, 1e-12);  // rank 8.91
  const std::vector<double> sorted = {0.0, 10.0, 20.0, 40.0};
  EXPECT_DOUBLE_EQ(percentile(sorted, 0), 0.0);
  EXPECT_DOUBLE_EQ(percentile(sorted, 100), 40.0);
  EXPECT_DOUBLE_EQ(percentile(sorted, 25), 7.5);     // rank 0.75
  EXPECT_NEAR(percentile(sorted, 80), 28.0, 1e-12);  // rank 2.4: 20 + 0.4 * 20
}

}  // namespace
}  // namespace gptbench::bench
