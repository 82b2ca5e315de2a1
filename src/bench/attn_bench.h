// `gptbench attn-bench`: times attention implementations (our flash kernels and each
// PyTorch SDPA backend) over the cross product of list-valued axes, llama-bench style,
// and reports TFLOP/s (prefill) or K/V GB/s (decode) with the environment it ran in.
// Built from the shared parts: variants from the registry (attn_bench_variant.h), ALiBi slopes
// from attention::alibi_slopes, SDPA masks from attention_mask.h, dtypes from model::parse_dtype,
// timing from DeviceTimer, medians from bench::summarize, the report from report/attn_bench_report.h.
#pragma once

#include <ATen/core/Tensor.h>     // at::Tensor
#include <c10/core/Device.h>      // c10::Device
#include <c10/core/ScalarType.h>  // c10::ScalarType

#include <cstdint>  // int64_t
#include <string>   // std::string
#include <vector>   // std::vector

#include "gptbench/attention/attention.h"          // AttentionSpec
#include "gptbench/bench/progress.h"             // ProgressOptions
#include "gptbench/kernels/flash_arch.h"           // FlashArch
#include "gptbench/report/attn_bench_report.h"  // AttnBenchReport, AttnBenchRow

namespace gptbench::bench {

struct AttnBenchConfig {
  std::vector<int64_t> batch = {1};
  std::vector<int64_t> heads = {12};
  std::vector<int64_t> kv_heads = {0};    // key/value heads Hkv (grouped-query attention); 0 = H
  std::vector<int64_t> seq = {1024};      // prefill: Tq = Tk = T
  std::vector<int64_t> kv_len = {4096};   // decode: Tq = 1, Tk from this list
  std::vector<int64_t> head_dim = {64};
  std::vector<int64_t> window = {256};    // used by +sparse variants only
  std::vector<std::string> dtype = {"fp16"};
  std::vector<std::string> variants = {"flash", "sdpa-flash"};
  int64_t global_tokens = 0;  // sinks of the +sparse variants
  kernels::FlashArch flash_arch = kernels::FlashArch::kAuto;  // the flash variants' prefill kernel
  // Every timed call starts from the qkv projection output (B, T, (H + 2 Hkv) D) and applies RoPE with
  // our fused kernel (rope_split_qkv; decode: rope_split_qkv_into_cache into a KV cache), the same
  // kernel for every implementation, so its cost is included once in each row.
  bool rope = false;
  bool decode = false;
  // Each timed call runs the forward and the backward (dO drawn once): flash cells our training
  // forward (LSE) + fused backward kernel, SDPA cells SDPA's autograd; TFLOP/s counts 2.5x the forward.
  bool backward = false;
  std::string device = "cuda";  // cuda[:i] times the kernels; cpu runs the op's CPU reference and SDPA on the CPU
  int min_runs = 20;          // the stopping rule (bench/stopping_rule.h) with max_noise and max_time_s
  double min_time_ms = 200.0;
  int max_runs = 2000;
  int warmup_runs = 3;
  bool flush_l2 = true;       // CUDA: write a buffer larger than L2 between timed runs
  std::string out_path;       // JSON report; empty = none
  ProgressOptions progress;   // a line per shape on stderr, a bar or timed lines with the ETA
  double max_noise = 0;       // go on past the minimums until std/mean <= this (0: off)
  double max_time_s = 0;      // wall-clock bound per shape (0: none)
  std::string format = "md";  // stdout: md | csv | json (the report) | jsonl (one row per line)
};

// Runs every cell, prints a markdown table to stdout, writes the JSON report (atomically)
// when out_path is set, and returns that report. UsageError for bad axes, names or devices.
report::AttnBenchReport run_attn_bench(const AttnBenchConfig& config);

std::string attn_bench_markdown(const std::vector<report::AttnBenchRow>& rows);
std::string attn_bench_csv(const std::vector<report::AttnBenchRow>& rows);  // one row per shape, every column
// The report as `format` says (AttnBenchConfig::format); UsageError naming --format for another.
std::string format_attn_bench(const report::AttnBenchReport& report, const std::string& format);

// The (H,) fp32 ALiBi slopes of every +alibi cell: Press et al.'s (attention::alibi_slopes).
at::Tensor attn_bench_slopes(int64_t heads, c10::Device device);

// What an SDPA cell passes as attn_mask for the prefill (Tq = Tk) or decode (Tq = 1, the last
// position) problem: undefined for plain causal (is_causal instead), (1, 1, Tq, Tk) bool for a
// window, (1, H, Tq, Tk) in `dtype` with ALiBi (attention_mask.h's forms).
at::Tensor attn_bench_sdpa_mask(const attention::AttentionSpec& spec, int64_t heads, int64_t q_len, int64_t k_len,
                                c10::ScalarType dtype, c10::Device device);

}  // namespace gptbench::bench
