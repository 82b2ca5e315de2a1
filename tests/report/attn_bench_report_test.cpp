// report::AttnBenchReport: a committed attn-bench result parses and writes back to the same JSON;
// a report of the wrong shape fails naming the key path.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <nlohmann/json.hpp>  // nlohmann::json

#include <fstream>  // std::ifstream
#include <string>   // std::string

#include "gptbench/report/attn_bench_report.h"  // AttnBenchReport, attn_bench_report_from_json, to_json
#include "report_error.h"                        // report_error

namespace gptbench::report {
namespace {

nlohmann::json committed(const std::string& name) {
  std::ifstream in(std::string(GPTBENCH_SOURCE_DIR) + "/bench/results/" + name);
  EXPECT_TRUE(in.good()) << name;
  return nlohmann::json::parse(in);
}

std::string error_of(const nlohmann::json& j) { return report_error(attn_bench_report_from_json, j); }

TEST(AttnBenchReport, CommittedDecodeResultRoundTrips) {
  const nlohmann::json j = committed("attn_bench_h100_2026-11-23_decode.json");
  const AttnBenchReport r = attn_bench_report_from_json(j);
  EXPECT_FALSE(r.schema_version.has_value());  // written before the key existed
  EXPECT_EQ(r.tool, "gptbench attn-bench");
  ASSERT_EQ(r.results.size(), 16u);
  const AttnBenchRow& first = r.results[0];
  EXPECT_EQ(first.variant, "flash");
  EXPECT_EQ(first.kernel, "flash_decode_splitkv_fp16_d64_causal");
  EXPECT_EQ(first.q_len, 1);
  EXPECT_EQ(first.k_len, 4096);
  EXPECT_EQ(first.samples_ms.size(), 2000u);
  ASSERT_TRUE(first.kv_gbps.has_value());
  EXPECT_NEAR(*first.kv_gbps, 1912.2967, 1e-3);
  ASSERT_TRUE(first.flash_over_this.has_value());
  EXPECT_DOUBLE_EQ(*first.flash_over_this, 1.0);
  EXPECT_EQ(to_json(r), j);
}

TEST(AttnBenchReport, EveryCommittedResultRoundTrips) {
  for (const char* name : {"attn_bench_h100_2026-11-23_t1024.json", "attn_bench_h100_2026-11-23_t4096.json",
                           "attn_bench_h100_2026-11-23_t16384.json"}) {
    const nlohmann::json j = committed(name);
    const AttnBenchReport r = attn_bench_report_from_json(j);
    EXPECT_FALSE(r.results.empty()) << name;
    for (const AttnBenchRow& row : r.results) EXPECT_FALSE(row.kv_gbps.has_value()) << name << ": prefill rows";
    EXPECT_EQ(to_json(r), j) << name;
  }
}

TEST(AttnBenchReport, SkippedRowsKeepTheirReasonOnly) {
  AttnBenchReport r;
  r.schema_version = kAttnBenchSchemaVersion;
  r.tool = {{"name", "gptbench"}};
  r.command = "attn-bench";
  AttnBenchRow skipped;
  skipped.variant = "sdpa-flash+alibi";
  skipped.status = "skipped";
  skipped.reason = "SDPA would run math instead of flash_attention";
  r.results.push_back(skipped);
  const nlohmann::json j = to_json(r);
  EXPECT_FALSE(j["results"][0].contains("median_ms"));
  const AttnBenchReport back = attn_bench_report_from_json(j);
  EXPECT_EQ(back.results[0].reason, skipped.reason);
  EXPECT_FALSE(back.results[0].ok());
  EXPECT_EQ(to_json(back), j);
}

// Grouped-query and RoPE rows carry kv_heads and rope; rows without either omit the keys and read back
// as kv_heads = heads, rope = false (the committed reports above round-trip unchanged).
TEST(AttnBenchReport, GroupedQueryAndRopeRowsRoundTrip) {
  AttnBenchRow row;
  row.variant = "flash";
  row.status = "skipped";
  row.reason = "no device";
  row.heads = 32;
  row.kv_heads = 8;
  row.rope = true;
  const nlohmann::json j = to_json(row);
  EXPECT_EQ(j["kv_heads"], 8);
  EXPECT_EQ(j["rope"], true);
  AttnBenchRow back;
  from_json(JsonFields(j, "row"), back);
  EXPECT_EQ(back.kv_heads, 8);
  EXPECT_TRUE(back.rope);
  row.kv_heads = 32;
  row.rope = false;
  const nlohmann::json plain = to_json(row);
  EXPECT_FALSE(plain.contains("kv_heads"));
  EXPECT_FALSE(plain.contains("rope"));
  AttnBenchRow plain_back;
  from_json(JsonFields(plain, "row"), plain_back);
  EXPECT_EQ(plain_back.kv_heads, 32);
}

TEST(AttnBenchReport, WrongShapeNamesTheKeyPath) {
  const nlohmann::json good = committed("attn_bench_h100_2026-11-23_decode.json");
  nlohmann::json j = good;
  j["results"][3].erase("median_ms");
  EXPECT_EQ(error_of(j), "results[3].median_ms: missing (expected a number)");
  j = good;
  j["results"][0]["batch"] = "8";
  EXPECT_EQ(error_of(j), "results[0].batch: expected an integer, found string");
  j = good;
  j["results"][1]["runs"] = 7;
  EXPECT_NE(error_of(j).find("results[1].runs: 7 runs, but samples_ms holds"), std::string::npos) << error_of(j);
  j = good;
  j["results"][2]["status"] = "maybe";
  EXPECT_NE(error_of(j).find("results[2].status"), std::string::npos);
  j = good;
  j["schema_version"] = 2;
  EXPECT_NE(error_of(j).find("schema_version: 2"), std::string::npos);
  j = good;
  j.erase("flops_rule");
  EXPECT_EQ(error_of(j), "flops_rule: missing (expected a string)");
  EXPECT_EQ(error_of(nlohmann::json::array()), "report: expected an object, found array");
}

}  // namespace
}  // namespace gptbench::report
