// Hand-built run reports in the shape of docs/result-schema.md (the keys compare reads), and
// sweep lines around them, for the compare tests. Each test perturbs one thing.
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <algorithm>  // std::sort
#include <string>     // std::string
#include <vector>     // std::vector

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

inline nlohmann::json latency_summary(const std::vector<double>& samples) {
  std::vector<double> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  const size_t n = sorted.size();
  const double p50 = n == 0 ? 0.0 : n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  return {{"n", n}, {"p50", p50}, {"mean", p50}, {"samples", samples}};
}

// A CUDA fp16 run of gpt2 on synthetic prompts with quality scores added (as a scored dataset has).
inline nlohmann::json make_report(double ttft_ms = 4.0, double tpot_ms = 3.0, double e2e_ms = 200.0,
                                  double rel_spread = 0.01, int n = 20) {
  nlohmann::json r;
  r["schema_version"] = 1;
  r["tool"] = {{"name", "gptbench"}, {"version", "0.1.0"}, {"git_sha", "aaaaaaa"}};
  r["env"] = {{"device", "cuda:0"}, {"host", "runner-1"}, {"gpu", "NVIDIA H100 80GB HBM3"},
              {"time_utc", "2026-11-23T10:00:00Z"}, {"libtorch", "2.11.0"}};
  r["config"] = {{"argv", {"run", "--out", "base.json"}},
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
  r["attention"] = {{"variant", "flash"}, {"kernel", "flash:flash_fwd_fp16_d64"}, {"window", 0}};
  r["model"] = {{"config_name", "gpt2"}, {"n_layer", 12}, {"parameters", 124439808}};
  r["latency"] = {{"timing", "generate"},
                  {"ttft", latency_summary(samples_around(ttft_ms, rel_spread, n))},
                  {"tpot", latency_summary(samples_around(tpot_ms, rel_spread, n))},
                  {"e2e", latency_summary(samples_around(e2e_ms, rel_spread, n))}};
  r["memory"] = {{"peak_allocated_bytes", 300.0 * 1024 * 1024}, {"peak_reserved_bytes", 320.0 * 1024 * 1024},
                 {"measured", true}};
  r["quality"] = {{"rougeL", {{"fmeasure", 0.30}}}, {"rouge1", {{"fmeasure", 0.35}}}, {"bleu", {{"score", 12.0}}}};
  r["status"] = "ok";
  r["error"] = nullptr;
  return r;
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
