// The blocks only a summarization run (`gptbench run`, docs/result-schema.md) has: what ran the
// projections, how decode steps ran, the dataset, and the latencies.
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>   // int64_t
#include <optional>  // std::optional
#include <string>    // std::string
#include <variant>   // std::variant

#include "gptbench/report/json_fields.h"  // JsonFields
#include "gptbench/report/summary.h"      // Summary

namespace gptbench::report {

// `linear`: the projections' implementations ("aten", "gemv_fp16_rows1", joined by "+").
struct LinearInfo {
  std::string kernel;                          // the decode steps', or the last forward's
  std::optional<std::string> prefill, decode;  // greedy runs only (null otherwise)
};

// `decode`: how greedy decode steps ran.
struct DecodeInfo {
  std::string mode;       // "cuda_graph" | "eager" | "none"
  std::string requested;  // --decode
  std::optional<std::string> graph_unavailable_reason;
  int64_t decode_graph_captures = 0, prefill_graph_captures = 0;
  double graph_capture_ms = 0;
  int64_t wasted_steps = 0, prefill_graph_batches = 0;
  std::optional<std::string> kv_cache;  // "dense" | "rolling" | "recurrent"; null for --timing forward
};

// `dataset`. stats stays JSON: data::to_json(DatasetStats) owns its keys (and the data module
// sits beside report, not below it).
struct DatasetInfo {
  std::string name;
  std::optional<std::string> path;      // absent for synthetic prompts
  std::optional<nlohmann::json> stats;  // absent for synthetic prompts
  int64_t n_samples = 0;
  std::optional<int64_t> truncated_prompts;  // absent for synthetic prompts
  // Real datasets: the prompts' lengths (a summary without samples); synthetic: the one length.
  std::variant<int64_t, Summary> prompt_tokens = int64_t{0};
};

// `latency.stopping` (schema minor 5): the stopping rule of the timed batches (run/run_stopping.h) and
// what it did: how many batches and samples ran, the relative noise of the per-batch e2e latency
// reached, and why timing stopped ("min_time": the minimums reached, by default one pass over the
// prompts, "max_noise", "max_time", "max_batches").
struct StoppingRuleInfo {
  int64_t min_batches = 0;
  double min_time_s = 0, max_noise = 0, max_time_s = 0;  // 0: that bound is off
  std::optional<int64_t> max_batches;                     // null: none
};

struct StoppingInfo {
  StoppingRuleInfo rule;
  std::string reason;
  int64_t batches = 0, samples = 0;  // timed; past one pass the prompts repeat from the first
  double noise = 0;                  // std / mean of the per-batch e2e latencies (0 below two batches)
  double elapsed_s = 0;              // wall time of the timed batches
};

// `latency`: milliseconds; e2e, ttft, tpot with one sample per batch, decode_step without samples.
struct LatencyInfo {
  std::string unit = "ms";
  std::string timing;  // "generate" | "forward"
  int64_t batches = 0;
  Summary e2e, ttft, tpot, decode_step;
  int64_t generated_tokens = 0;
  double tokens_per_s = 0, samples_per_s = 0;
  double load_data_ms = 0, tokenize_ms = 0, score_ms = 0;
  std::optional<StoppingInfo> stopping;  // absent in reports before schema minor 5
};

// The summaries compare can read by name: "e2e", "ttft", "tpot", "decode_step"; nullptr for another.
const Summary* find_latency(const LatencyInfo& latency, const std::string& name);

nlohmann::json to_json(const LinearInfo& linear);
void from_json(const JsonFields& in, LinearInfo& linear);
nlohmann::json to_json(const DecodeInfo& decode);
void from_json(const JsonFields& in, DecodeInfo& decode);
nlohmann::json to_json(const DatasetInfo& dataset);
void from_json(const JsonFields& in, DatasetInfo& dataset);
nlohmann::json to_json(const StoppingRuleInfo& rule);
void from_json(const JsonFields& in, StoppingRuleInfo& rule);
nlohmann::json to_json(const StoppingInfo& stopping);
void from_json(const JsonFields& in, StoppingInfo& stopping);
nlohmann::json to_json(const LatencyInfo& latency);
void from_json(const JsonFields& in, LatencyInfo& latency);

}  // namespace gptbench::report
