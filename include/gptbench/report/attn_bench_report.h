// The JSON report of `gptbench attn-bench` as a type, with one to_json and one from_json.
// Keys are those of the committed bench/results/attn_bench_*.json, which from_json reads
// (written before schema_version and command existed, with tool as a plain string).
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>   // int64_t
#include <optional>  // std::optional
#include <string>    // std::string
#include <vector>    // std::vector

#include "gptbench/report/json_fields.h"  // JsonFields

namespace gptbench::report {

// One cell of the cross product. status "ok" or "skipped" (reason says why; no timings then).
struct AttnBenchRow {
  std::string variant, dtype, status = "ok", reason, kernel;
  int64_t batch = 0, heads = 0, q_len = 0, k_len = 0, head_dim = 0, window = 0, global_tokens = 0;
  // Key/value heads (grouped-query attention); JSON key "kv_heads" only when != heads (absent: = heads).
  int64_t kv_heads = 0;
  // The timed call started from the qkv projection and applied RoPE (rope_split_qkv); JSON "rope" only when true.
  bool rope = false;
  std::vector<double> samples_ms;  // JSON: samples_ms and runs (their count)
  double median_ms = 0, min_ms = 0, max_ms = 0;
  double tflops = 0;                      // nominal causal FLOPs (dense causal even for windows) / median
  std::optional<double> kv_gbps;          // decode only: dense K/V bytes (kv_heads heads) / median
  std::optional<double> flash_over_this;  // median of our dense causal flash, same shape / this median
  // The stopping rule (bench/stopping_rule.h): what ended the timing ("min_time", "max_noise", "max_time",
  // "max_runs") and the samples' relative std dev; absent in reports from before the rule.
  std::optional<std::string> stopped_by;
  std::optional<double> noise;

  bool ok() const { return status == "ok"; }
};

struct AttnBenchReport {
  std::optional<int64_t> schema_version;  // absent in the first reports
  nlohmann::json tool;                    // {"name", "version", "git_sha"}, or a string in the first reports
  std::optional<std::string> command;     // "attn-bench"
  nlohmann::json env = nlohmann::json::object();     // bench::environment_json: keys depend on the device
  nlohmann::json config = nlohmann::json::object();  // the axes and timing settings as run
  std::string flops_rule;
  std::vector<AttnBenchRow> results;
};

inline constexpr int64_t kAttnBenchSchemaVersion = 1;

nlohmann::json to_json(const AttnBenchRow& row);
nlohmann::json to_json(const AttnBenchReport& report);

void from_json(const JsonFields& in, AttnBenchRow& row);
void from_json(const JsonFields& in, AttnBenchReport& report);

// The whole report from its JSON; ReportError names the key path of what does not fit
// ("results[3].median_ms: expected a number, found string").
AttnBenchReport attn_bench_report_from_json(const nlohmann::json& json);

}  // namespace gptbench::report
