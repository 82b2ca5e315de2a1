// summarize_profile on hand-made events: kernels count whole, CPU ops by self time (nested ops
// subtracted once, per thread), rows sorted and cut to top_n, percentages of the total.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <string>  // std::string
#include <vector>  // std::vector

#include "gptbench/bench/profile_summary.h"  // summarize_profile, to_json, format_profile_table

namespace gptbench::bench {
namespace {

const ProfileRow* row(const ProfileSummary& s, const std::string& name) {
  for (const ProfileRow& r : s.top)
    if (r.name == name) return &r;
  return nullptr;
}

TEST(SummarizeProfile, KernelsCountWholeAndSortByTotal) {
  // Overlapping kernels (two streams) still count whole: each is device time of its own.
  const std::vector<ProfiledEvent> events = {{"gemm", 0, 0, 4000},  {"softmax", 0, 1000, 1000},
                                             {"gemm", 0, 5000, 6000}, {"flash_fwd", 0, 12000, 3000},
                                             {"copy", 0, 20000, 1000}};
  const ProfileSummary s = summarize_profile(events, ProfileKind::kCudaKernels, 3, 25.0);
  EXPECT_EQ(s.calls, 5);
  EXPECT_EQ(s.distinct, 4);
  EXPECT_DOUBLE_EQ(s.total_us, 15.0);
  EXPECT_DOUBLE_EQ(s.wall_us, 25.0);
  ASSERT_EQ(s.top.size(), 3u);  // cut to top_n
  EXPECT_EQ(s.top[0].name, "gemm");
  EXPECT_EQ(s.top[0].calls, 2);
  EXPECT_DOUBLE_EQ(s.top[0].total_us, 10.0);
  EXPECT_DOUBLE_EQ(s.top[0].mean_us, 5.0);
  EXPECT_NEAR(s.top[0].percent, 100.0 * 10 / 15, 1e-12);
  EXPECT_EQ(s.top[1].name, "flash_fwd");
  // copy and softmax tie at 1 us: the name decides, so the report is deterministic.
  EXPECT_EQ(s.top[2].name, "copy");
}

TEST(SummarizeProfile, CpuOpsCountSelfTimePerThread) {
  // Thread 1: linear [0, 100) calls addmm [10, 60), which calls mm [20, 50); then add [100, 110).
  // Thread 2: an mm [30, 70) that overlaps thread 1's ops in time but is nested in none of them.
  const std::vector<ProfiledEvent> events = {
      {"aten::add", 1, 100000, 10000},   {"aten::mm", 1, 20000, 30000}, {"aten::linear", 1, 0, 100000},
      {"aten::addmm", 1, 10000, 50000},  {"aten::mm", 2, 30000, 40000},
  };
  const ProfileSummary s = summarize_profile(events, ProfileKind::kCpuOps, 25, 200.0);
  EXPECT_EQ(s.calls, 5);
  EXPECT_EQ(s.distinct, 4);
  EXPECT_DOUBLE_EQ(row(s, "aten::linear")->total_us, 50.0);  // 100 - addmm's 50
  EXPECT_DOUBLE_EQ(row(s, "aten::addmm")->total_us, 20.0);   // 50 - mm's 30
  EXPECT_DOUBLE_EQ(row(s, "aten::mm")->total_us, 70.0);      // 30 + 40, both leaves
  EXPECT_DOUBLE_EQ(row(s, "aten::mm")->mean_us, 35.0);
  EXPECT_DOUBLE_EQ(row(s, "aten::add")->total_us, 10.0);
  // Self times add up to the time covered by ops, counted once per thread.
  EXPECT_DOUBLE_EQ(s.total_us, 110.0 + 40.0);
  double percent = 0;
  for (const ProfileRow& r : s.top) percent += r.percent;
  EXPECT_NEAR(percent, 100.0, 1e-9);
}

TEST(SummarizeProfile, EqualStartsNestTheLongerOpOutside) {
  // aten::to and the aten::_to_copy it calls start on the same nanosecond.
  const std::vector<ProfiledEvent> events = {{"aten::_to_copy", 7, 500, 800}, {"aten::to", 7, 500, 1000}};
  const ProfileSummary s = summarize_profile(events, ProfileKind::kCpuOps, 25, 2.0);
  EXPECT_DOUBLE_EQ(row(s, "aten::to")->total_us, 0.2);
  EXPECT_DOUBLE_EQ(row(s, "aten::_to_copy")->total_us, 0.8);
}

TEST(SummarizeProfile, NoEventsGiveAnEmptySummary) {
  const ProfileSummary s = summarize_profile({}, ProfileKind::kCudaKernels, 25, 3.0);
  EXPECT_EQ(s.calls, 0);
  EXPECT_TRUE(s.top.empty());
  EXPECT_DOUBLE_EQ(s.total_us, 0.0);
}

TEST(ProfileJson, CarriesKindRowsAndTotals) {
  ProfileSummary s = summarize_profile({{"k", 0, 0, 2000}}, ProfileKind::kCudaKernels, 25, 4.0);
  s.trace_path = "t.json";
  s.memcpy_memset_us = 1.5;
  const nlohmann::json j = to_json(s);
  EXPECT_EQ(j["trace"], "t.json");
  EXPECT_EQ(j["kind"], "cuda-kernels");
  ASSERT_EQ(j["top"].size(), 1u);
  EXPECT_EQ(j["top"][0]["name"], "k");
  EXPECT_EQ(j["top"][0]["calls"], 1);
  EXPECT_DOUBLE_EQ(j["top"][0]["total_us"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(j["top"][0]["percent"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(j["totals"]["wall_us"].get<double>(), 4.0);
  EXPECT_DOUBLE_EQ(j["totals"]["memcpy_memset_us"].get<double>(), 1.5);
  EXPECT_TRUE(j["note"].is_null());
  const nlohmann::json ops = to_json(summarize_profile({}, ProfileKind::kCpuOps, 25, 1.0));
  EXPECT_EQ(ops["kind"], "cpu-ops");
  EXPECT_TRUE(ops["totals"]["memcpy_memset_us"].is_null());
}

TEST(ProfileTable, ShowsTheFirstRowsAndCutsLongNames) {
  const std::string long_name = "void flash_fwd_kernel<" + std::string(200, 'x') + ">";
  const ProfileSummary s = summarize_profile({{long_name, 0, 0, 3000}, {"b", 0, 0, 2000}, {"c", 0, 0, 1000}},
                                             ProfileKind::kCudaKernels, 25, 10.0);
  const std::string table = format_profile_table(s, 2);
  EXPECT_NE(table.find("cuda-kernels: 3 kernel launches"), std::string::npos) << table;
  EXPECT_NE(table.find("void flash_fwd_kernel<xxx"), std::string::npos) << table;
  EXPECT_EQ(table.find(long_name), std::string::npos) << "name not cut";
  EXPECT_NE(table.find("  b\n"), std::string::npos) << table;
  EXPECT_EQ(table.find("  c\n"), std::string::npos) << "more rows than asked";
}

}  // namespace
}  // namespace gptbench::bench
