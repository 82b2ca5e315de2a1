// Threshold flags: "10%" and "0.1" parse deliberately; nonsense is refused naming the flag.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <string>  // std::string

#include "../support/error_message.h"  // message_of
#include "gptbench/compare/threshold.h"  // parse_relative_threshold, parse_absolute_drop, parse_metric_list
#include "gptbench/util/error.h"         // UsageError

namespace gptbench::compare {
namespace {

using test_support::message_of;

TEST(CompareThreshold, RelativePercentAndFraction) {
  EXPECT_DOUBLE_EQ(parse_relative_threshold("--x", "10%"), 0.10);
  EXPECT_DOUBLE_EQ(parse_relative_threshold("--x", "0.1"), 0.10);
  EXPECT_DOUBLE_EQ(parse_relative_threshold("--x", "2.5%"), 0.025);
  EXPECT_DOUBLE_EQ(parse_relative_threshold("--x", "150%"), 1.5);
  EXPECT_DOUBLE_EQ(parse_relative_threshold("--x", "0"), 0.0);
  EXPECT_DOUBLE_EQ(parse_relative_threshold("--x", "1"), 1.0);
}

TEST(CompareThreshold, RelativeNonsenseIsRefusedNamingTheFlag) {
  for (const char* bad : {"-5%", "-0.1", "abc%", "abc", "", "%", "1e-1", "nan", "inf", " 10%", "10 %", "1.2.3", "0x10"}) {
    const std::string message = message_of<UsageError>([&] { parse_relative_threshold("--max-latency-regression", bad); });
    EXPECT_NE(message.find("--max-latency-regression"), std::string::npos) << "value \"" << bad << "\": " << message;
  }
  EXPECT_NE(message_of<UsageError>([] { parse_relative_threshold("--m", "-5%"); }).find("negative"), std::string::npos);
  // A bare number above 1 could mean percent or a fraction: refused, with both spellings offered.
  const std::string ambiguous = message_of<UsageError>([] { parse_relative_threshold("--m", "10"); });
  EXPECT_NE(ambiguous.find("ambiguous"), std::string::npos) << ambiguous;
  EXPECT_NE(ambiguous.find("10%"), std::string::npos) << ambiguous;
}

TEST(CompareThreshold, QualityDropIsAbsolute) {
  EXPECT_DOUBLE_EQ(parse_absolute_drop("--q", "0.005"), 0.005);
  EXPECT_DOUBLE_EQ(parse_absolute_drop("--q", "0"), 0.0);
  EXPECT_NE(message_of<UsageError>([] { parse_absolute_drop("--max-quality-drop", "0.5%"); }).find("absolute"),
            std::string::npos);
  EXPECT_NE(message_of<UsageError>([] { parse_absolute_drop("--max-quality-drop", "2"); }).find("0-1 scale"), std::string::npos);
  EXPECT_NE(message_of<UsageError>([] { parse_absolute_drop("--max-quality-drop", "-0.01"); }).find("negative"),
            std::string::npos);
  EXPECT_NE(message_of<UsageError>([] { parse_absolute_drop("--max-quality-drop", "x"); }).find("--max-quality-drop"),
            std::string::npos);
}

TEST(CompareThreshold, MetricLists) {
  EXPECT_EQ(parse_metric_list("--l", "ttft,tpot", kLatencyMetricNames), (std::vector<std::string>{"ttft", "tpot"}));
  EXPECT_TRUE(parse_metric_list("--l", "none", kLatencyMetricNames).empty());
  EXPECT_EQ(parse_metric_list("--q", "rougeLsum,bleu", kQualityMetricNames),
            (std::vector<std::string>{"rougeLsum", "bleu"}));
  const std::string unknown = message_of<UsageError>([] { parse_metric_list("--latency-metrics", "ttft,p99", kLatencyMetricNames); });
  EXPECT_NE(unknown.find("--latency-metrics"), std::string::npos);
  EXPECT_NE(unknown.find("\"p99\""), std::string::npos);
  EXPECT_NE(message_of<UsageError>([] { parse_metric_list("--l", "ttft,ttft", kLatencyMetricNames); }).find("twice"),
            std::string::npos);
  EXPECT_NE(message_of<UsageError>([] { parse_metric_list("--l", "", kLatencyMetricNames); }), "");
  EXPECT_NE(message_of<UsageError>([] { parse_metric_list("--l", "ttft,", kLatencyMetricNames); }), "");
}

}  // namespace
}  // namespace gptbench::compare
