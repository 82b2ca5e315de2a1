// `gptbench attn-bench`: times attention implementations (our flash kernels and each
// PyTorch SDPA backend) over the cross product of list-valued axes, llama-bench style,
// and reports TFLOP/s (prefill) or K/V GB/s (decode) with the environment it ran in.
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>  // int64_t
#include <string>   // std::string
#include <vector>   // std::vector

namespace gptbench::bench {

// Who computes the attention in a cell.
enum class AttnBackend { kFlash, kSdpaFlash, kSdpaCudnn, kSdpaEfficient, kSdpaMath };

// One --variants entry: a backend plus the modifiers "+alibi" and "+sparse" (window).
struct AttnVariant {
  AttnBackend backend = AttnBackend::kFlash;
  bool alibi = false;
  bool sparse = false;
};

// Throws UsageError listing the valid names for anything unknown.
AttnVariant parse_attn_variant(const std::string& name);
std::string attn_variant_name(const AttnVariant& v);

struct AttnBenchConfig {
  std::vector<int64_t> batch = {1};
  std::vector<int64_t> heads = {12};
  std::vector<int64_t> seq = {1024};      // prefill: Tq = Tk = T
  std::vector<int64_t> kv_len = {4096};   // decode: Tq = 1, Tk from this list
  std::vector<int64_t> head_dim = {64};
  std::vector<int64_t> window = {256};    // used by +sparse variants only
  std::vector<std::string> dtype = {"fp16"};
  std::vector<std::string> variants = {"flash", "sdpa-flash"};
  int64_t global_tokens = 0;  // sinks of the +sparse variants
  bool decode = false;
  int min_runs = 20;          // stop when both min_runs and min_time_ms are reached
  double min_time_ms = 200.0;
  int max_runs = 2000;
  int warmup_runs = 3;
  bool flush_l2 = true;       // write a buffer larger than L2 between timed runs
  std::string out_path;       // JSON report; empty = none
};

// One cell of the cross product. status "ok" or "skipped" (reason says why).
struct AttnBenchRow {
  std::string variant, dtype, status = "ok", reason, kernel;
  int64_t batch = 0, heads = 0, q_len = 0, k_len = 0, head_dim = 0, window = 0, global_tokens = 0;
  std::vector<double> samples_ms;
  double median_ms = 0, min_ms = 0, max_ms = 0;
  double tflops = 0;           // nominal causal FLOPs (dense causal even for windows) / median
  double kv_gbps = 0;          // decode: dense K/V bytes / median
  double speedup_vs_flash = 0; // median of our dense causal flash, same shape / this median; 0 = not measured
};

// Runs every cell, prints a markdown table to stdout, writes the JSON report (atomically)
// when out_path is set, and returns that report.
nlohmann::json run_attn_bench(const AttnBenchConfig& config);

std::string attn_bench_markdown(const std::vector<AttnBenchRow>& rows);

}  // namespace gptbench::bench
