// Whole comparisons of hand-built run reports and sweeps: failures, config differences, cells.
#include <gtest/gtest.h>  // TEST, EXPECT_*

#include <algorithm>  // std::any_of

#include "gptbench/compare/comparison.h"        // compare_inputs, to_json
#include "gptbench/compare/comparison_table.h"  // format_comparison
#include "gptbench/compare/device_model.h"      // device_model
#include "gptbench/report/gpu_telemetry.h"      // GpuTelemetry, to_json
#include "gptbench/util/error.h"                // UsageError
#include "report_fixture.h"                     // make_report, make_cell_line

namespace gptbench::compare {
namespace {

using nlohmann::json;
using testing::make_cell_line;
using testing::make_report;

CompareInput run_input(const std::string& path, const json& report) {
  CompareInput in;
  in.path = path;
  in.kind = InputKind::kRun;
  in.report = read_run_report(report, path);
  return in;
}

CompareInput sweep_input(const std::string& path, const std::vector<json>& lines) {
  CompareInput in;
  in.path = path;
  in.kind = InputKind::kSweep;
  int line_number = 1;
  for (const json& line : lines) {
    SweepCell c;
    c.cell = line["cell"];
    c.match_key = c.cell.dump();
    c.label = line["key"];
    c.status = line["status"];
    c.where = path + ":" + std::to_string(++line_number);
    if (!line["report"].is_null()) c.report = read_run_report(line["report"], c.where);
    in.cells.push_back(c);
  }
  return in;
}

Comparison compare_runs(const json& base, const json& current, ConfigDiffPolicy policy = ConfigDiffPolicy::kRefuse,
                        const Thresholds& t = Thresholds{}) {
  return compare_inputs(run_input("base.json", base), run_input("new.json", current), t, policy);
}

const MetricComparison& metric(const Comparison& c, const std::string& name, size_t cell = 0) {
  for (const MetricComparison& m : c.cells.at(cell).metrics)
    if (m.metric == name) return m;
  throw std::runtime_error("no metric " + name);
}

bool has_line(const std::vector<std::string>& lines, const std::string& needle) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.find(needle) != std::string::npos; });
}

TEST(CompareRuns, IdenticalRunsAreOkWithEveryMetricCompared) {
  const Comparison c = compare_runs(make_report(), make_report());
  EXPECT_EQ(c.verdict(), "ok");
  ASSERT_EQ(c.cells.size(), 1u);
  EXPECT_EQ(c.cells[0].metrics.size(), 6u);  // ttft, tpot, e2e, memory, rougeL, bleu
  EXPECT_DOUBLE_EQ(metric(c, "quality.bleu.score/100").base, 0.12);
  EXPECT_TRUE(c.config_differences.empty());
  EXPECT_TRUE(c.cells[0].notes.empty());
}

// Energy per token and mean power: shown with their change where both runs measured them, never a
// regression (the clocks and power limit move them more than the code); one side unmeasured is a note.
TEST(CompareRuns, EnergyIsShownNotGated) {
  auto with_energy = [](double j_per_token, double watts) {
    json r = make_report();
    report::GpuTelemetry t;
    t.measured = true;
    t.j_per_token = j_per_token;
    t.mean_power_w = watts;
    r["gpu_telemetry"] = report::to_json(t);
    return r;
  };
  const Comparison c = compare_runs(with_energy(0.2, 300.0), with_energy(0.3, 450.0));
  EXPECT_EQ(c.verdict(), "ok");
  const MetricComparison& energy = metric(c, "gpu_telemetry.j_per_token");
  EXPECT_EQ(energy.unit, "J/token");
  EXPECT_NEAR(*energy.relative_change, 0.5, 1e-12);
  EXPECT_EQ(energy.verdict, Verdict::kOk);
  EXPECT_EQ(energy.note, "not gated");
  EXPECT_DOUBLE_EQ(metric(c, "gpu_telemetry.mean_power_w").current, 450.0);
  EXPECT_NE(format_comparison(c).find("gpu_telemetry.j_per_token (J/token)"), std::string::npos) << format_comparison(c);
  const Comparison one_sided = compare_runs(make_report(), with_energy(0.3, 450.0));
  EXPECT_TRUE(has_line(one_sided.cells[0].notes, "gpu_telemetry: energy not compared, not measured in base.json"));
}

TEST(CompareRuns, LatencyRegressionFails) {
  const Comparison c = compare_runs(make_report(4.0), make_report(4.8));
  EXPECT_EQ(c.verdict(), "regressed");
  EXPECT_EQ(metric(c, "latency.ttft.p50").verdict, Verdict::kRegressed);
  EXPECT_EQ(metric(c, "latency.tpot.p50").verdict, Verdict::kOk);
  ASSERT_EQ(c.failures.size(), 1u);
  EXPECT_NE(c.failures[0].find("latency.ttft.p50"), std::string::npos) << c.failures[0];
  EXPECT_NE(c.failures[0].find("+20.00%"), std::string::npos) << c.failures[0];
  const std::string table = format_comparison(c);
  EXPECT_NE(table.find("regressed"), std::string::npos) << table;
  EXPECT_NE(table.find("result: regressed (1 failure)"), std::string::npos) << table;
}

TEST(CompareRuns, SmallChangeAndNoisyChangePass) {
  EXPECT_EQ(compare_runs(make_report(4.0), make_report(4.12)).verdict(), "ok");
  const Comparison noisy = compare_runs(make_report(4.0, 3.0, 200.0, 0.6), make_report(4.8, 3.0, 200.0, 0.6));
  EXPECT_EQ(noisy.verdict(), "ok");
  EXPECT_EQ(metric(noisy, "latency.ttft.p50").verdict, Verdict::kNoisy);
  EXPECT_NE(format_comparison(noisy).find("noisy"), std::string::npos);
}

TEST(CompareRuns, MemoryAndQualityRegressionsFail) {
  json more_memory = make_report();
  more_memory["memory"]["peak_allocated_bytes"] = int64_t{330} * 1024 * 1024;  // +10%
  EXPECT_EQ(metric(compare_runs(make_report(), more_memory), "memory.peak_allocated_bytes").verdict, Verdict::kRegressed);
  json worse = make_report();
  worse["quality"]["rougeL"]["fmeasure"] = 0.29;
  const Comparison c = compare_runs(make_report(), worse);
  EXPECT_EQ(c.verdict(), "regressed");
  EXPECT_EQ(metric(c, "quality.rougeL.fmeasure").verdict, Verdict::kRegressed);
  json bleu = make_report();
  bleu["quality"]["bleu"]["score"] = 11.0;  // -1 BLEU point = -0.01 on the 0-1 scale
  EXPECT_EQ(metric(compare_runs(make_report(), bleu), "quality.bleu.score/100").verdict, Verdict::kRegressed);
  bleu["quality"]["bleu"]["score"] = 11.7;  // -0.003
  EXPECT_EQ(compare_runs(make_report(), bleu).verdict(), "ok");
}

TEST(CompareRuns, ConfigDifferencesRefuseUnlessAllowed) {
  json b8 = make_report(4.8);
  b8["config"]["batch_size"] = 8;
  const Comparison refused = compare_runs(make_report(4.0), b8);
  EXPECT_TRUE(refused.refused());
  EXPECT_EQ(refused.verdict(), "refused");
  ASSERT_EQ(refused.config_differences.size(), 1u);
  EXPECT_EQ(to_string(refused.config_differences[0].difference), "config.batch_size: 1 vs 8");
  EXPECT_NE(format_comparison(refused).find("config.batch_size: 1 vs 8"), std::string::npos);
  const Comparison allowed = compare_runs(make_report(4.0), b8, ConfigDiffPolicy::kAllow);
  EXPECT_FALSE(allowed.refused());
  EXPECT_EQ(allowed.verdict(), "regressed");
  EXPECT_EQ(to_json(allowed)["config_differences"][0]["key"], "config.batch_size");
}

TEST(CompareRuns, CodeVersionEnvironmentArgvAndDeviceIndexAreNotConfig) {
  json other = make_report();
  other["tool"]["git_sha"] = "bbbbbbb-dirty";
  other["env"]["host"] = "runner-2";
  other["env"]["time_utc"] = "2026-11-24T10:00:00Z";
  other["config"]["argv"] = {"run", "--out", "elsewhere/new.json"};
  other["config"]["data_dir"] = ".carry/data";
  other["config"]["device_resolved"] = "cuda:3";
  other["attention"]["kernel"] = "flash:flash_fwd_fp16_d64_v2";
  const Comparison c = compare_runs(make_report(), other);
  EXPECT_TRUE(c.config_differences.empty());
  EXPECT_EQ(c.verdict(), "ok");
  EXPECT_TRUE(has_line(c.notes, "tool.git_sha: \"aaaaaaa\" vs \"bbbbbbb-dirty\""));
  EXPECT_TRUE(has_line(c.notes, "env.host"));
  EXPECT_TRUE(has_line(c.notes, "attention.kernel"));
  EXPECT_FALSE(has_line(c.notes, "time_utc"));
  // Not the experiment's device type, though: cuda vs cpu is a different experiment.
  other["config"]["device_resolved"] = "cpu";
  EXPECT_TRUE(compare_runs(make_report(), other).refused());
}

// A baseline of another GPU model: refused (its timings say nothing about this GPU) unless allowed.
TEST(CompareRuns, AnotherGpuModelIsRefusedUnlessAllowed) {
  json h200 = make_report();
  h200["env"]["gpu"] = "NVIDIA H200";
  h200["env"]["sm_count"] = 132;
  const Comparison refused = compare_runs(make_report(), h200);
  EXPECT_TRUE(refused.device_refused());
  EXPECT_FALSE(refused.config_refused());
  EXPECT_EQ(refused.verdict(), "refused");
  ASSERT_EQ(refused.device_differences.size(), 1u);
  EXPECT_EQ(refused.device_differences[0].base, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(refused.device_differences[0].current, "NVIDIA H200");
  const std::string table = format_comparison(refused);
  EXPECT_NE(table.find("NVIDIA H100 80GB HBM3 vs NVIDIA H200"), std::string::npos) << table;
  EXPECT_NE(table.find("result: refused (the GPU models differ)"), std::string::npos) << table;
  EXPECT_EQ(table.find("latency.ttft.p50"), std::string::npos) << "a refused comparison shows no metrics";

  const Comparison allowed = compare_inputs(run_input("base.json", make_report()), run_input("new.json", h200),
                                            Thresholds{}, ConfigDiffPolicy::kRefuse, DeviceDiffPolicy::kAllow);
  EXPECT_FALSE(allowed.refused());
  EXPECT_EQ(allowed.verdict(), "ok");
  EXPECT_NE(format_comparison(allowed).find("allowed by --allow-device-diff"), std::string::npos);
  const json j = to_json(allowed);
  EXPECT_EQ(j["allow_device_diff"], true);
  EXPECT_EQ(j["device_differences"][0]["new"], "NVIDIA H200");
  // Both refusals at once: the table says so.
  h200["config"]["batch_size"] = 8;
  const Comparison both = compare_runs(make_report(), h200);
  EXPECT_TRUE(both.device_refused() && both.config_refused());
  EXPECT_NE(format_comparison(both).find("the GPU models and the configs differ"), std::string::npos);
}

TEST(DeviceModel, GpuNameCpuOrUnknown) {
  EXPECT_EQ(device_model(read_run_report(make_report(), "a")), "NVIDIA H100 80GB HBM3");
  json cpu = make_report();
  cpu["env"].erase("gpu");
  cpu["env"]["device"] = "cpu";
  EXPECT_EQ(device_model(read_run_report(cpu, "a")), "cpu");
  json unknown = cpu;
  unknown["env"].erase("device");
  EXPECT_FALSE(device_model(read_run_report(unknown, "a")).has_value());
  // cpu against a GPU: refused as another device; a side that records none is noted, not refused.
  EXPECT_TRUE(compare_runs(make_report(), cpu, ConfigDiffPolicy::kAllow).device_refused());
  const Comparison unchecked = compare_runs(make_report(), unknown, ConfigDiffPolicy::kAllow);
  EXPECT_FALSE(unchecked.device_refused());
  EXPECT_TRUE(has_line(unchecked.notes, "device model not checked: new.json records none"));
}

// A baseline written before schema_minor 1 (no attention.backward, no schema_minor) against a
// report of today: the same experiment.
TEST(CompareRuns, AnOlderMinorSchemaIsTheSameExperiment) {
  const json now = make_report();
  report::RunReport older = read_run_report(now, "now.json");
  older.header.schema.minor = 0;
  const json v1_0 = report::to_json(older);
  ASSERT_FALSE(v1_0["attention"].contains("backward"));
  ASSERT_FALSE(v1_0.contains("schema_minor"));
  const Comparison c = compare_runs(v1_0, now);
  EXPECT_TRUE(c.config_differences.empty());
  EXPECT_EQ(c.verdict(), "ok");
}

TEST(CompareRuns, WhatCannotBeComparedIsNoted) {
  json cpu = make_report();
  cpu["memory"]["measured"] = false;
  cpu["quality"] = nullptr;
  json cpu2 = cpu;
  cpu2["latency"]["ttft"]["n"] = 0;
  cpu2["latency"]["ttft"]["samples"] = json::array();
  const Comparison c = compare_runs(cpu, cpu2);
  EXPECT_EQ(c.cells[0].metrics.size(), 2u);  // tpot, e2e
  EXPECT_TRUE(has_line(c.cells[0].notes, "latency.ttft: not compared, no samples (n = 0) in new.json"));
  EXPECT_TRUE(has_line(c.cells[0].notes, "memory.peak_allocated_bytes: not compared, not measured"));
  EXPECT_TRUE(has_line(c.cells[0].notes, "quality: not compared, none in both reports"));
}

TEST(CompareRuns, ErrorReports) {
  json failed = make_report();
  failed["status"] = "error";
  failed["error"] = "CUDA out of memory: try a smaller --batch-size";
  try {
    compare_runs(failed, make_report());
    ADD_FAILURE() << "a failed BASE run must be a usage error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("base.json: the BASE run failed"), std::string::npos) << e.what();
  }
  const Comparison c = compare_runs(make_report(), failed);
  EXPECT_EQ(c.verdict(), "regressed");
  EXPECT_EQ(c.cells[0].outcome, CellOutcome::kNewFailed);
  ASSERT_EQ(c.failures.size(), 1u);
  EXPECT_NE(c.failures[0].find("CUDA out of memory"), std::string::npos);
}

TEST(CompareRuns, BadValueTypesNameTheFileAndKey) {
  json bad = make_report();
  bad["latency"]["tpot"]["p50"] = "fast";
  try {
    compare_runs(make_report(), bad);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("new.json: latency.tpot.p50: expected a number, found string"), std::string::npos) << e.what();
  }
}

TEST(CompareSweeps, CellByCell) {
  const json ok = make_report(4.0);
  const CompareInput base = sweep_input("base.jsonl", {make_cell_line("flash", 1, ok), make_cell_line("flash", 8, ok),
                                                       make_cell_line("sdpa", 1, ok), make_cell_line("sdpa", 8, ok),
                                                       make_cell_line("standard", 1, ok, "skipped")});
  const CompareInput current =
      sweep_input("new.jsonl", {make_cell_line("sdpa", 8, ok, "error"), make_cell_line("flash", 8, make_report(4.8)),
                                make_cell_line("flash", 1, ok), make_cell_line("standard", 1, ok),
                                make_cell_line("flash+alibi", 1, ok)});
  const Comparison c = compare_inputs(base, current, Thresholds{}, ConfigDiffPolicy::kRefuse);
  EXPECT_EQ(c.verdict(), "regressed");
  ASSERT_EQ(c.cells.size(), 6u);
  auto cell = [&](const std::string& label) -> const CellComparison& {
    for (const CellComparison& x : c.cells)
      if (x.label == label) return x;
    throw std::runtime_error("no cell " + label);
  };
  EXPECT_EQ(cell("flash/fp16/w-/b1/p512/n64").outcome, CellOutcome::kCompared);
  EXPECT_EQ(cell("flash/fp16/w-/b8/p512/n64").outcome, CellOutcome::kCompared);
  EXPECT_EQ(cell("sdpa/fp16/w-/b1/p512/n64").outcome, CellOutcome::kOnlyInBase);
  EXPECT_EQ(cell("sdpa/fp16/w-/b8/p512/n64").outcome, CellOutcome::kNewFailed);
  EXPECT_EQ(cell("standard/fp16/w-/b1/p512/n64").outcome, CellOutcome::kBaseNotOk);
  EXPECT_EQ(cell("flash+alibi/fp16/w-/b1/p512/n64").outcome, CellOutcome::kOnlyInNew);
  EXPECT_EQ(c.failures.size(), 3u);  // flash b8 ttft, sdpa b1 missing, sdpa b8 failed
  EXPECT_TRUE(has_line(c.failures, "flash/fp16/w-/b8/p512/n64: latency.ttft.p50 (ms) regressed"));
  EXPECT_TRUE(has_line(c.failures, "sdpa/fp16/w-/b1/p512/n64: ran in BASE (base.jsonl:4) but is missing from NEW"));
  const json j = to_json(c);
  EXPECT_EQ(j["verdict"], "regressed");
  EXPECT_EQ(j["cells"][1]["metrics"][0]["verdict"], "regressed");
}

TEST(CompareSweeps, ConfigDifferencesAreCountedOverCells) {
  json warm3 = make_report();
  warm3["config"]["warmup"] = 3;
  const Comparison c = compare_inputs(
      sweep_input("a", {make_cell_line("flash", 1, make_report()), make_cell_line("flash", 8, make_report())}),
      sweep_input("b", {make_cell_line("flash", 1, warm3), make_cell_line("flash", 8, warm3)}), Thresholds{},
      ConfigDiffPolicy::kRefuse);
  EXPECT_TRUE(c.refused());
  ASSERT_EQ(c.config_differences.size(), 1u);
  EXPECT_EQ(c.config_differences[0].cells, 2);
}

TEST(CompareSweeps, GpuModelDifferencesAreCountedOverCells) {
  json h200 = make_report();
  h200["env"]["gpu"] = "NVIDIA H200";
  const Comparison c = compare_inputs(
      sweep_input("a", {make_cell_line("flash", 1, make_report()), make_cell_line("flash", 8, make_report())}),
      sweep_input("b", {make_cell_line("flash", 1, h200), make_cell_line("flash", 8, h200)}), Thresholds{},
      ConfigDiffPolicy::kRefuse);
  EXPECT_TRUE(c.device_refused());
  ASSERT_EQ(c.device_differences.size(), 1u);
  EXPECT_EQ(c.device_differences[0].cells, 2);
}

TEST(CompareInputs, RunAgainstSweepIsRefusedNamingBothFiles) {
  try {
    compare_inputs(run_input("one.json", make_report()), sweep_input("many.jsonl", {}), Thresholds{},
                   ConfigDiffPolicy::kAllow);
    ADD_FAILURE() << "expected a usage error";
  } catch (const UsageError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("one.json is a run report"), std::string::npos) << m;
    EXPECT_NE(m.find("many.jsonl is a sweep"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace gptbench::compare
