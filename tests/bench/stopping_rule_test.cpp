// bench::stop_reason: the minimums first, then the noise bound, and the time and run caps that end a
// noisy series anyway; relative_noise against a hand computation; bad rules named by flag.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <cmath>   // std::sqrt
#include <string>  // std::string
#include <vector>  // std::vector

#include "gptbench/bench/stopping_rule.h"  // StoppingRule, StoppingFlags, stop_reason, relative_noise, check_stopping_rule
#include "gptbench/util/error.h"           // UsageError

namespace gptbench::bench {
namespace {

TEST(StoppingRule, RelativeNoiseIsSampleStdOverMean) {
  EXPECT_DOUBLE_EQ(relative_noise({2.0, 4.0}), std::sqrt(2.0) / 3.0);  // std sqrt(2), mean 3
  EXPECT_DOUBLE_EQ(relative_noise({5.0, 5.0, 5.0}), 0.0);
  EXPECT_DOUBLE_EQ(relative_noise({7.0}), 0.0);
}

TEST(StoppingRule, MinimumsFirstWithoutANoiseBound) {
  const StoppingRule rule{3, 10.0, 0.0, 0.0, 100};
  EXPECT_FALSE(stop_reason(rule, {}, 0));
  EXPECT_FALSE(stop_reason(rule, {5.0, 5.0}, 0));        // 2 runs < 3
  EXPECT_FALSE(stop_reason(rule, {1.0, 1.0, 1.0}, 0));   // 3 ms < 10 ms
  EXPECT_EQ(stop_reason(rule, {4.0, 4.0, 4.0}, 0), "min_time");
}

TEST(StoppingRule, NoiseKeepsItGoingUntilTheCaps) {
  const std::vector<double> noisy = {1.0, 9.0, 1.0, 9.0};  // noise ~0.92
  const std::vector<double> quiet = {5.0, 5.1, 4.9, 5.0};
  EXPECT_FALSE(stop_reason({2, 0.0, 0.05, 0.0, 100}, noisy, 1.0));
  EXPECT_EQ(stop_reason({2, 0.0, 0.05, 0.0, 100}, quiet, 1.0), "max_noise");
  EXPECT_EQ(stop_reason({2, 0.0, 0.05, 0.5, 100}, noisy, 1.0), "max_time");
  EXPECT_EQ(stop_reason({2, 0.0, 0.05, 0.0, 4}, noisy, 1.0), "max_runs");
  EXPECT_EQ(stop_reason({20, 1e9, 0.0, 0.5, 100}, {1.0}, 0.6), "max_time");  // the cap beats the minimums
}

TEST(StoppingRule, ImpossibleRulesNameTheFlag) {
  auto message = [](const StoppingRule& r) {
    try {
      check_stopping_rule(r);
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(message({0, 0, 0, 0, 10}), "--min-runs must be at least 1, got 0");
  EXPECT_EQ(message({5, 0, 0, 0, 4}), "--max-runs 4 is below --min-runs 5");
  EXPECT_EQ(message({1, 0, -0.1, 0, 4}), "--max-noise must be >= 0, got -0.1");
  EXPECT_EQ(message({1, 0, 0, 0, 4}), "");
}

// Another command's flags in the messages (gptbench run counts batches).
TEST(StoppingRule, MessagesNameTheCallersFlags) {
  const StoppingFlags run_flags{"--min-batches", "--min-time", "--max-noise", "--max-time", "--max-batches"};
  try {
    check_stopping_rule({5, 0, 0, 0, 4}, run_flags);
    ADD_FAILURE() << "no error";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), "--max-batches 4 is below --min-batches 5");
  }
}

}  // namespace
}  // namespace gptbench::bench
