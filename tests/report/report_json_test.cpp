// The report types against the reports gptbench has written: every committed report parses, the
// GPU regression baselines and committed train and perplexity reports come back byte for byte from
// to_json(from_json(x)), new reports have the unified attention block, and a bad report fails
// naming the key path.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <filesystem>  // std::filesystem
#include <sstream>     // std::istringstream
#include <string>      // std::string
#include <vector>      // std::vector

#include "gptbench/io/atomic_file.h"        // read_file
#include "gptbench/report/model_info.h"     // ModelInfo
#include "gptbench/report/report_header.h"  // kRunSchemaVersion
#include "gptbench/report/run_report.h"     // RunReport, run_report_from_json, to_json
#include "gptbench/report/train_report.h"   // TrainReport, train_report_from_json, to_json
#include "report_error.h"                   // report_error

namespace gptbench::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kSource = GPTBENCH_SOURCE_DIR;

json read_json(const fs::path& path) { return json::parse(io::read_file(path)); }

std::vector<fs::path> files_under(const fs::path& dir, const std::string& extension) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file() && entry.path().extension() == extension) out.push_back(entry.path());
  return out;
}

std::string run_report_error(const json& j) { return report_error(run_report_from_json, j); }

TEST(ReportJson, GpuRegressionBaselinesRoundTripByteForByte) {
  const std::vector<fs::path> baselines = files_under(kSource / "bench/baselines/gpu_regression", ".json");
  ASSERT_GE(baselines.size(), 4u);
  for (const fs::path& path : baselines) {
    const json original = read_json(path);
    const RunReport report = run_report_from_json(original);
    ASSERT_TRUE(std::holds_alternative<SummarizationResults>(report.results)) << path;
    // Each GPU model's baseline is as old as its refresh: H100's predate schema_minor (0), H200's are newer.
    EXPECT_LE(report.header.schema.minor, kRunSchemaVersion.minor) << path;
    EXPECT_EQ(to_json(report).dump(), original.dump()) << path;
  }
}

TEST(ReportJson, CommittedTrainAndPerplexityReportsRoundTrip) {
  const fs::path train = kSource / "bench/results/train_deterministic_h100_2026-11-23/report_deterministic_1.json";
  const json train_json = read_json(train);
  const TrainReport t = train_report_from_json(train_json);
  ASSERT_TRUE(t.results.has_value());
  EXPECT_EQ(t.results->attention.backward, "autograd:sdpa:flash_attention");
  EXPECT_EQ(to_json(t).dump(), train_json.dump());

  const fs::path ppl = kSource / "bench/results/gpu_check_h100_2026-11-23/run_perplexity_kl_flash_vs_sdpa.json";
  const json ppl_json = read_json(ppl);
  const RunReport p = run_report_from_json(ppl_json);
  ASSERT_TRUE(std::holds_alternative<PerplexityResults>(p.results));
  EXPECT_EQ(std::get<PerplexityResults>(p.results).quality.kl_against->variant, "sdpa");
  EXPECT_EQ(to_json(p).dump(), ppl_json.dump());
}

// Every report under bench/ (alone, or inside a sweep cell line) reads as its type.
TEST(ReportJson, EveryCommittedReportParses) {
  int runs = 0, trains = 0;
  auto read_report = [&](const json& j, const std::string& where) {
    SCOPED_TRACE(where);
    if (j.contains("training")) {
      EXPECT_NO_THROW(train_report_from_json(j));
      ++trains;
    } else {
      EXPECT_NO_THROW(run_report_from_json(j));
      ++runs;
    }
  };
  for (const fs::path& path : files_under(kSource / "bench", ".json")) {
    const json j = read_json(path);
    if (j.is_object() && j.contains("status") && j.contains("config")) read_report(j, path.string());
  }
  for (const fs::path& path : files_under(kSource / "bench", ".jsonl")) {
    std::istringstream lines(io::read_file(path));
    for (std::string line; std::getline(lines, line);) {
      const json j = json::parse(line, nullptr, false);
      if (j.is_object() && j.value("record", "") == "cell" && j["report"].is_object())
        read_report(j["report"], path.string());
      else if (j.is_object() && j.contains("status") && j.contains("config"))
        read_report(j, path.string());
    }
  }
  EXPECT_GE(runs, 100);  // 139 when this test was written
  EXPECT_GE(trains, 30);
}

TEST(ReportJson, NewReportsHaveTheUnifiedAttentionBlockWithNulls) {
  RunReport run;  // schema 1.5
  run.header.config = {{"task", "perplexity"}};  // RunConfig's to_json names the task
  run.attention = AttentionInfo{"flash", "flash:k", std::nullopt, std::nullopt, std::nullopt, false, true, 0, 0};
  run.results = PerplexityResults{};
  const json j = to_json(run);
  EXPECT_EQ(j.at("schema_version"), 1);
  EXPECT_EQ(j.at("schema_minor"), 5);
  for (const char* key : {"prefill_kernel", "decode_kernel", "backward"}) EXPECT_TRUE(j["attention"].at(key).is_null());
  EXPECT_EQ(j["attention"].size(), 9u);
  EXPECT_EQ(j["attention"].at("learned_positions"), true);
  EXPECT_EQ(to_json(run_report_from_json(j)), j);

  TrainReport train;
  train.results.emplace();
  const json tj = to_json(train);
  EXPECT_EQ(tj["attention"].size(), 9u);
  EXPECT_TRUE(tj["attention"].at("prefill_kernel").is_null());
  EXPECT_EQ(to_json(train_report_from_json(tj)), tj);
}

TEST(ReportJson, TheModelBlockNamesItsFamilyAndOlderBlocksReadBackUnchanged) {
  ModelInfo llama;
  llama.family = "llama";
  llama.config_name = "llama-tiny";
  llama.n_head = 8;
  llama.n_kv_head = 2;
  llama.tokenizer = "sentencepiece";
  const json j = to_json(llama);
  EXPECT_EQ(j.at("family"), "llama");
  EXPECT_EQ(j.at("n_kv_head"), 2);
  EXPECT_EQ(j.at("tokenizer"), "sentencepiece");
  ModelInfo back;
  from_json(JsonFields(j, "model"), back);
  EXPECT_EQ(to_json(back), j);
  json older = j;  // schema_minor 1: none of the three keys
  older.erase("family");
  older.erase("n_kv_head");
  older.erase("tokenizer");
  from_json(JsonFields(older, "model"), back);
  EXPECT_FALSE(back.family.has_value());
  EXPECT_FALSE(back.tokenizer.has_value());
  EXPECT_EQ(to_json(back), older);
}

TEST(ReportJson, ErrorReportsHaveTheHeaderOnly) {
  RunReport failed;
  failed.status = "error";
  failed.error = "CUDA out of memory: try a smaller --batch-size";
  const json j = to_json(failed);
  EXPECT_FALSE(j.contains("attention"));
  EXPECT_FALSE(j.contains("latency"));
  const RunReport back = run_report_from_json(j);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(back.results));
  EXPECT_EQ(back.error, failed.error);
}

TEST(ReportJson, ABadValueFailsNamingItsKeyPath) {
  const json base = read_json(kSource / "bench/baselines/gpu_regression/nvidia-h100-80gb-hbm3/sdpa-b8.json");
  json wrong = base;
  wrong["latency"]["ttft"]["p50"] = "fast";
  EXPECT_EQ(run_report_error(wrong), "latency.ttft.p50: expected a number, found string");
  json missing = base;
  missing["memory"].erase("peak_allocated_bytes");
  EXPECT_EQ(run_report_error(missing), "memory.peak_allocated_bytes: missing (expected an integer)");
  json sample = base;
  sample["latency"]["tpot"]["samples"][3] = nullptr;
  EXPECT_EQ(run_report_error(sample), "latency.tpot.samples[3]: expected a number, found null");
  json kernel = base;
  kernel["attention"]["kernel"] = 7;
  EXPECT_EQ(run_report_error(kernel), "attention.kernel: expected a string, found number");
  json major = base;
  major["schema_version"] = 2;
  EXPECT_EQ(run_report_error(major), "schema_version: 2 is not 1, the version this gptbench reads");
  EXPECT_EQ(run_report_error(json::array()), "report: expected an object, found array");
  json status = base;
  status["status"] = "fine";
  EXPECT_NE(run_report_error(status).find("status: expected \"ok\" or \"error\""), std::string::npos);
  EXPECT_EQ(run_report_error(base), "");
}

}  // namespace
}  // namespace gptbench::report
