// Hand-built run reports (report::RunReport written as JSON), and sweep lines around them, for
// the compare tests. Each test perturbs one thing.
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <algorithm>  // std::sort
#include <string>     // std::string
#include <vector>     // std::vector

#include "gptbench/report/run_report.h"  // RunReport, to_json

namespace gptbench::compare::testing {

// `n` samples spread evenly over median * [1 - rel_spread, 1 + rel_spread] (median in the middle).
inline std::vector<double> samples_around(double median, double rel_spread, int n = 20) {
  std::vector<double> s;
  for (int i = 0; i < n; ++i) {
    const double t = n == 1 ? 0.0 : 2.0 * i / (n - 1) - 1.0;  // -1 .. 1
    s.push_back(median * (1.0 + rel_spread * t));
  }
  return s;
}

// The summary of `samples` as a report holds it (p50 and mean: the median; enough for compare).
inline report::Summary latency_summary(const std::vector<double>& samples) {
  std::vector<double> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  const size_t n = sorted.size();
  report::Summary s;
  s.samples = samples;
  s.n = static_cast<int64_t>(n);
  s.p50 = s.mean = n == 0 ? 0.0 : n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  s.min = n == 0 ? 0.0 : sorted.front();
  s.max = n == 0 ? 0.0 : sorted.back();
  return s;
}

// A CUDA fp16 run of gpt2 on synthetic prompts with quality scores added (as a scored dataset has),
// built as the report type and written as gptbench writes it.
inline nlohmann::json make_report(double ttft_ms = 4.0, double tpot_ms = 3.0, double e2e_ms = 200.0,
                                  double rel_spread = 0.01, int n = 20) {
  report::RunReport r;
  r.header.tool = {"gptbench", "0.1.0", "aaaaaaa"};
  r.header.env = {{"device", "cuda:0"}, {"host", "runner-1"}, {"gpu", "NVIDIA H100 80GB HBM3"},
                  {"time_utc", "2026-11-23T10:00:00Z"}, {"libtorch", "2.11.0"}};
  r.header.config = {{"argv", {"run", "--out", "base.json"}},
                     {"model", "build-ci/models/gpt2"},
                     {"variant", "flash"},
                     {"dtype", "fp16"},
                     {"device", "cuda"},
                     {"device_resolved", "cuda:0"},
                     {"dataset", "synthetic"},
                     {"data_dir", "../shared/data"},
                     {"batch_size", 1},
                     {"prompt_tokens", 512},
                     {"max_new_tokens", 64},
                     {"warmup", 2},
                     {"window", nullptr}};
  r.attention = report::AttentionInfo{"flash", "flash:flash_fwd_fp16_d64", std::nullopt, std::nullopt, std::nullopt,
                                      false, true, 0, 0};
  report::SummarizationResults s;
  s.model = {"gpt2", 12, 12, 768, 1024, 124439808};
  s.dataset.name = "synthetic";
  s.dataset.n_samples = n;
  s.dataset.prompt_tokens = int64_t{512};
  s.latency.timing = "generate";
  s.latency.ttft = latency_summary(samples_around(ttft_ms, rel_spread, n));
  s.latency.tpot = latency_summary(samples_around(tpot_ms, rel_spread, n));
  s.latency.e2e = latency_summary(samples_around(e2e_ms, rel_spread, n));
  s.memory.peak_allocated_bytes = int64_t{300} * 1024 * 1024;
  s.memory.peak_reserved_bytes = int64_t{320} * 1024 * 1024;
  s.memory.measured = true;
  report::QualityScores q;
  q.rouge_l.fmeasure = 0.30;
  q.rouge1.fmeasure = 0.35;
  q.bleu.score = 12.0;
  s.quality = q;
  r.results = s;
  return to_json(r);
}

// A sweep cell line (docs/result-schema.md, "sweep") holding `report`.
inline nlohmann::json make_cell_line(const std::string& variant, int batch_size, nlohmann::json report,
                                     const std::string& status = "ok") {
  report["config"]["variant"] = variant;
  report["config"]["batch_size"] = batch_size;
  if (status == "error") report["status"] = "error";
  nlohmann::json line = {{"record", "cell"},
                         {"key", variant + "/fp16/w-/b" + std::to_string(batch_size) + "/p512/n64"},
                         {"cell",
                          {{"variant", variant},
                           {"batch_size", batch_size},
                           {"prompt_tokens", 512},
                           {"max_new_tokens", 64},
                           {"dtype", "fp16"},
                           {"window", nullptr}}},
                         {"status", status},
                         {"reason", status == "skipped" ? nlohmann::json("cannot run here") : nlohmann::json()},
                         {"error", status == "error" ? nlohmann::json("CUDA out of memory") : nlohmann::json()},
                         {"report", status == "skipped" ? nlohmann::json() : report}};
  return line;
}

inline std::string sweep_text(const std::vector<nlohmann::json>& cells) {
  std::string text = nlohmann::json({{"record", "sweep"}, {"schema_version", 1}}).dump() + "\n";
  for (const auto& c : cells) text += c.dump() + "\n";
  return text;
}

}  // namespace gptbench::compare::testing
