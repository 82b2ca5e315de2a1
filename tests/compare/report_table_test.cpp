// The side-by-side table of `gptbench report` on hand-built run reports: values, ratios against the
// first report, what a report lacks, failed runs and config differences, markdown and CSV.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <sstream>  // std::istringstream

#include "gptbench/compare/compare_input.h"  // read_run_report
#include "gptbench/compare/report_table.h"   // make_report_table, format_report_*
#include "gptbench/report/gpu_telemetry.h"   // GpuTelemetry, to_json
#include "report_fixture.h"                  // make_report

namespace gptbench::compare {
namespace {

using nlohmann::json;
using testing::make_report;

NamedReport named(const std::string& path, const json& report) { return {path, read_run_report(report, path)}; }

size_t column(const std::string& key) {
  const auto& columns = report_columns();
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i].key == key) return i;
  throw std::runtime_error("no column " + key);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A flash run (the fixture) and an sdpa run twice as slow to the first token with more memory.
std::vector<NamedReport> two_variants() {
  json sdpa = make_report(8.0, 3.0);
  sdpa["config"]["variant"] = "sdpa";
  sdpa["attention"]["variant"] = "sdpa";
  sdpa["attention"]["kernel"] = "sdpa:flash_attention";
  sdpa["memory"]["peak_allocated_bytes"] = 450 * 1024 * 1024;
  sdpa["latency"]["tokens_per_s"] = 500.0;
  json flash = make_report();
  flash["latency"]["tokens_per_s"] = 1000.0;
  return {named("flash.json", flash), named("sdpa.json", sdpa)};
}

TEST(ReportTable, ValuesAndRatiosAgainstTheFirst) {
  const ReportTable t = make_report_table(two_variants());
  ASSERT_EQ(t.rows.size(), 2u);
  const ReportRow& flash = t.rows[0];
  const ReportRow& sdpa = t.rows[1];
  EXPECT_EQ(flash.variant, "flash");
  EXPECT_EQ(sdpa.kernel, "sdpa:flash_attention");
  EXPECT_EQ(sdpa.device, "NVIDIA H100 80GB HBM3");
  EXPECT_DOUBLE_EQ(*flash.values[column("ttft_ms")], 4.0);
  EXPECT_DOUBLE_EQ(*sdpa.values[column("ttft_ms")], 8.0);
  EXPECT_DOUBLE_EQ(*sdpa.ratios[column("ttft_ms")], 2.0);
  EXPECT_DOUBLE_EQ(*sdpa.ratios[column("tpot_ms")], 1.0);
  EXPECT_DOUBLE_EQ(*sdpa.ratios[column("tokens_per_s")], 0.5);
  EXPECT_DOUBLE_EQ(*sdpa.values[column("peak_allocated_mib")], 450.0);
  EXPECT_DOUBLE_EQ(*sdpa.ratios[column("peak_allocated_mib")], 1.5);
  EXPECT_DOUBLE_EQ(*flash.values[column("rougeL")], 0.30);
  EXPECT_DOUBLE_EQ(*flash.values[column("bleu")], 12.0);
  EXPECT_FALSE(flash.values[column("perplexity")].has_value());
  EXPECT_TRUE(flash.ratios.empty()) << "the first report is the reference";
  // Different variants are the point: no refusal, the differences are listed.
  ASSERT_EQ(t.notes.size(), 1u);
  EXPECT_NE(t.notes[0].find("sdpa.json differs from flash.json: "), std::string::npos) << t.notes[0];
  EXPECT_NE(t.notes[0].find("config.variant: \"flash\" vs \"sdpa\""), std::string::npos) << t.notes[0];
}

TEST(ReportTable, WhatAReportLacksIsEmptyNotZero) {
  json cpu = make_report();
  cpu["memory"]["measured"] = false;
  cpu["quality"] = nullptr;
  cpu["latency"]["ttft"]["n"] = 0;
  cpu["latency"]["ttft"]["samples"] = json::array();
  const ReportTable t = make_report_table({named("gpu.json", make_report()), named("cpu.json", cpu)});
  const ReportRow& row = t.rows[1];
  EXPECT_FALSE(row.values[column("peak_allocated_mib")].has_value());
  EXPECT_FALSE(row.values[column("rouge1")].has_value());
  EXPECT_FALSE(row.values[column("ttft_ms")].has_value());
  EXPECT_FALSE(row.ratios[column("ttft_ms")].has_value());
  EXPECT_TRUE(row.values[column("tpot_ms")].has_value());
}

TEST(ReportTable, AFailedRunIsARowAndANote) {
  json failed = make_report();
  failed["status"] = "error";
  failed["error"] = "CUDA out of memory";
  const ReportTable t = make_report_table({named("ok.json", make_report()), named("oom.json", failed)});
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[1].status, "error");
  ASSERT_EQ(t.notes.size(), 1u);
  EXPECT_EQ(t.notes[0], "oom.json: the run failed: CUDA out of memory");
  EXPECT_NE(format_report_markdown(t).find("| oom.json | flash (failed) |"), std::string::npos);
}

TEST(ReportTable, Markdown) {
  const std::string md = format_report_markdown(make_report_table(two_variants()));
  const std::vector<std::string> lines = lines_of(md);
  ASSERT_GE(lines.size(), 4u) << md;
  EXPECT_EQ(lines[0].rfind("| report | variant | device | kernel | ROUGE-1 |", 0), 0u) << md;
  EXPECT_EQ(lines[0].find("perplexity"), std::string::npos) << "a column no report has is left out\n" << md;
  EXPECT_NE(lines[2].find("| 4.000 |"), std::string::npos) << md;
  EXPECT_NE(lines[3].find("| 8.000 (2.00x) |"), std::string::npos) << md;
  EXPECT_NE(lines[3].find("| 450.0 (1.50x) |"), std::string::npos) << md;
  EXPECT_NE(md.find("against the first report (flash.json)"), std::string::npos) << md;
}

// Energy per token and mean power from gpu_telemetry where measured; TPOT p90 only where 10 batches
// back it; markdown shows "-" for a number a report lacks in a column another report has.
TEST(ReportTable, EnergyAndTailColumns) {
  json measured = make_report();
  measured["latency"]["tpot"]["p90"] = 3.25;  // as 20 batches would have it (the fixture leaves it null)
  report::GpuTelemetry telemetry;
  telemetry.measured = true;
  telemetry.j_per_token = 0.25;
  telemetry.mean_power_w = 400.0;
  measured["gpu_telemetry"] = report::to_json(telemetry);
  json short_run = make_report(4.0, 6.0, 200.0, 0.01, 5);  // 5 batches: no p90
  report::GpuTelemetry cpu;
  cpu.unavailable = "not a CUDA device";
  short_run["gpu_telemetry"] = report::to_json(cpu);
  const ReportTable t = make_report_table({named("gpu.json", measured), named("short.json", short_run)});
  EXPECT_DOUBLE_EQ(*t.rows[0].values[column("j_per_token")], 0.25);
  EXPECT_DOUBLE_EQ(*t.rows[0].values[column("mean_power_w")], 400.0);
  EXPECT_DOUBLE_EQ(*t.rows[0].values[column("tpot_p90_ms")], 3.25);
  EXPECT_FALSE(t.rows[1].values[column("j_per_token")].has_value());
  EXPECT_FALSE(t.rows[1].values[column("tpot_p90_ms")].has_value());
  const std::string md = format_report_markdown(t);
  const std::vector<std::string> lines = lines_of(md);
  ASSERT_GE(lines.size(), 4u) << md;
  EXPECT_NE(lines[0].find("| TPOT p90 (ms) | J/token | avg W |"), std::string::npos) << md;
  EXPECT_NE(lines[2].find("| 3.250 | 0.2500 | 400.0 |"), std::string::npos) << md;
  EXPECT_NE(lines[3].find("| - | - | - |"), std::string::npos) << md;
}

TEST(ReportTable, CsvHasEveryColumnAndFullPrecision) {
  std::vector<NamedReport> reports = two_variants();
  reports[1].path = "with,comma \"quoted\".json";
  const std::vector<std::string> lines = lines_of(format_report_csv(make_report_table(reports)));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].rfind("report,status,variant,device,kernel,rouge1,rouge1_ratio,", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find(",perplexity,perplexity_ratio,"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[2].rfind("\"with,comma \"\"quoted\"\".json\",ok,sdpa,", 0), 0u) << lines[2];
  EXPECT_NE(lines[2].find(",8,2,"), std::string::npos) << lines[2];  // ttft_ms, ttft_ms_ratio
}

}  // namespace
}  // namespace gptbench::compare
