// `gptbench attn-bench` on the CPU (our op's CPU reference and SDPA's math backend, tiny shapes):
// the report it writes parses with report::AttnBenchReport and says what ran; bad flags exit 2.
#include <gtest/gtest.h>  // TEST, EXPECT_*
#include <sys/wait.h>     // WEXITSTATUS
#include <unistd.h>       // getpid

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdlib>     // std::system
#include <filesystem>  // std::filesystem
#include <fstream>     // std::ifstream
#include <sstream>     // std::stringstream
#include <string>      // std::string

#include "gptbench/report/attn_bench_report.h"  // attn_bench_report_from_json

namespace gptbench::report {
namespace {

namespace fs = std::filesystem;

struct CommandResult {
  int exit_code = -1;
  std::string stderr_text;
};

// Runs `gptbench attn-bench <args>` with stdout discarded.
CommandResult attn_bench(const std::string& args, const fs::path& dir) {
  const fs::path err = dir / "stderr.txt";
  const std::string cmd = std::string("\"") + GPTBENCH_BIN + "\" attn-bench " + args + " >/dev/null 2>\"" +
                          err.string() + "\"";
  CommandResult r;
  const int status = std::system(cmd.c_str());
  r.exit_code = WEXITSTATUS(status);
  std::ifstream in(err);
  std::stringstream text;
  text << in.rdbuf();
  r.stderr_text = text.str();
  return r;
}

class AttnBenchCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gptbench_attn_bench_" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  AttnBenchReport run_and_parse(const std::string& args) {
    const fs::path out = dir_ / "report.json";
    const CommandResult r = attn_bench("--device cpu --dtype fp32 --min-runs 2 --max-runs 3 --min-time-ms 0 --warmup 1 " +
                                 args + " --out \"" + out.string() + "\"",
                             dir_);
    EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
    std::ifstream in(out);
    return attn_bench_report_from_json(nlohmann::json::parse(in));
  }

  fs::path dir_;
};

TEST_F(AttnBenchCli, PrefillOnTheCpuReportsWhatRan) {
  const AttnBenchReport r = run_and_parse(
      "--batch 2 --heads 12 --seq 24 --head-dim 16 --window 8 "
      "--variants flash,flash+alibi+sparse,sdpa-math,sdpa-math+alibi,sdpa-math+sparse");
  ASSERT_TRUE(r.schema_version.has_value());
  EXPECT_EQ(*r.schema_version, kAttnBenchSchemaVersion);
  EXPECT_EQ(r.command.value_or(""), "attn-bench");
  EXPECT_EQ(r.config["device"], "cpu");
  EXPECT_EQ(r.config["flush_l2"], false);  // no L2 flush on the CPU, and the report says so
  const char* kernels[] = {"cpu_reference_fp32_causal", "cpu_reference_fp32_alibi_window", "sdpa:math", "sdpa:math",
                           "sdpa:math"};
  ASSERT_EQ(r.results.size(), 5u);
  for (size_t i = 0; i < r.results.size(); ++i) {
    const AttnBenchRow& row = r.results[i];
    ASSERT_TRUE(row.ok()) << row.variant << ": " << row.reason;
    EXPECT_EQ(row.kernel, kernels[i]) << row.variant;
    EXPECT_EQ(row.batch, 2);
    EXPECT_EQ(row.heads, 12);
    EXPECT_EQ(row.q_len, 24);
    EXPECT_EQ(row.k_len, 24);
    EXPECT_EQ(row.window, row.variant.find("sparse") != std::string::npos ? 8 : 0) << row.variant;
    EXPECT_GE(row.samples_ms.size(), 2u);
    EXPECT_LE(row.samples_ms.size(), 3u);
    EXPECT_GT(row.median_ms, 0);
    EXPECT_LE(row.min_ms, row.median_ms);
    EXPECT_GE(row.max_ms, row.median_ms);
    EXPECT_GT(row.tflops, 0);
    EXPECT_FALSE(row.kv_gbps.has_value());
    ASSERT_TRUE(row.flash_over_this.has_value()) << row.variant;
    EXPECT_EQ(row.stopped_by.value_or(""), "min_time") << row.variant;  // 2 runs and 0 ms reached, no noise bound
    ASSERT_TRUE(row.noise.has_value());
    EXPECT_GE(*row.noise, 0.0);
  }
  EXPECT_DOUBLE_EQ(*r.results[0].flash_over_this, 1.0);
}

TEST_F(AttnBenchCli, DecodeOnTheCpuReportsBandwidth) {
  const AttnBenchReport r =
      run_and_parse("--decode --kv-len 40 --batch 1 --heads 4 --head-dim 8 --variants flash+alibi,sdpa-math+alibi");
  ASSERT_EQ(r.results.size(), 2u);
  EXPECT_EQ(r.results[0].kernel, "cpu_reference_fp32_alibi");
  for (const AttnBenchRow& row : r.results) {
    ASSERT_TRUE(row.ok()) << row.reason;
    EXPECT_EQ(row.q_len, 1);
    EXPECT_EQ(row.k_len, 40);
    ASSERT_TRUE(row.kv_gbps.has_value());
    EXPECT_GT(*row.kv_gbps, 0);
  }
}

// --backward on the CPU: SDPA's forward + autograd backward is timed; our fused backward runs on CUDA
// only, so the flash row is skipped with the reason (the GPU script times it).
TEST_F(AttnBenchCli, BackwardTimesSdpaAutogradAndSkipsFlashOnTheCpu) {
  const AttnBenchReport r = run_and_parse("--backward --seq 16 --heads 2 --head-dim 8 --variants flash,sdpa-math");
  EXPECT_EQ(r.config["backward"], true);
  ASSERT_EQ(r.results.size(), 2u);
  EXPECT_FALSE(r.results[0].ok());
  EXPECT_NE(r.results[0].reason.find("CUDA only"), std::string::npos) << r.results[0].reason;
  ASSERT_TRUE(r.results[1].ok()) << r.results[1].reason;
  EXPECT_EQ(r.results[1].kernel, "sdpa:math+autograd");
  EXPECT_NE(r.flops_rule.find("2.5x"), std::string::npos) << r.flops_rule;
  EXPECT_EQ(attn_bench("--device cpu --backward --decode", dir_).exit_code, 2);
}

TEST_F(AttnBenchCli, ANoiseBoundNoRunMeetsEndsAtTheRunCap) {
  const AttnBenchReport r = run_and_parse("--seq 16 --heads 2 --head-dim 8 --variants sdpa-math --max-noise 1e-12");
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_EQ(r.results[0].stopped_by.value_or(""), "max_runs");
  EXPECT_EQ(r.results[0].samples_ms.size(), 3u);
  EXPECT_EQ(r.config["max_noise"], 1e-12);
}

TEST_F(AttnBenchCli, BadInputIsAOneLineUsageError) {
  for (const std::string& args : {std::string("--device cpu --variants sdpa-foo"),
                                  std::string("--device cpu --dtype fp8"), std::string("--device tpu"),
                                  std::string("--device cpu --seq 0"), std::string("--device cpu --max-noise -1"),
                                  std::string("--device cpu --min-runs 5 --max-runs 4")}) {
    const CommandResult r = attn_bench(args, dir_);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.stderr_text;
    EXPECT_EQ(r.stderr_text.find('\n'), r.stderr_text.size() - 1) << args << ": " << r.stderr_text;
  }
}

}  // namespace
}  // namespace gptbench::report
