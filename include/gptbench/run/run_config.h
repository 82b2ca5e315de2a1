// Everything `gptbench run` needs to reproduce a run; echoed verbatim into the report.
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>   // int64_t
#include <optional>  // std::optional
#include <string>    // std::string
#include <vector>    // std::vector

namespace gptbench::run {

enum class TimingMode { kGenerate, kForward };  // kForward: one forward pass per padded batch (no generation)

enum class Task { kSummarization, kPerplexity };

struct RunConfig {
  std::vector<std::string> argv;
  Task task = Task::kSummarization;
  int64_t stride = 512;          // perplexity: window step (Hugging Face's strided sliding window)
  std::string kl_against;        // perplexity: also the mean per-token KL(this || other variant)
  // Model
  std::string model_dir;
  std::string tokenizer_dir;  // empty: the model folder
  std::string variant = "standard";
  std::optional<int64_t> window, global_tokens;
  std::string dtype = "fp32";
  std::string device = "auto";
  // Data
  std::string dataset = "news_summary";
  std::string data_path;  // file or folder; empty: the dataset's default under data_dir
  std::string data_dir;   // the shared data folder
  std::string split = "test";
  std::optional<int64_t> limit;
  uint64_t split_seed = 0;
  std::string prompt_template = "{source}\nTL;DR:";
  int64_t prompt_tokens = 512;  // dataset "synthetic": random prompts of exactly this many tokens (no quality)
  std::optional<int64_t> max_prompt_tokens;  // other datasets: sources cut so a prompt has at most this many tokens
  // Generation
  int64_t batch_size = 1;
  int64_t max_new_tokens = 64;
  int64_t min_new_tokens = 0;
  int64_t num_beams = 1;
  int64_t no_repeat_ngram_size = 0;
  double length_penalty = 1.0;
  std::string early_stopping = "false";  // HF: false | true | never
  // Measurement
  int64_t warmup = 1;  // untimed batches (the first batch, run this many times before timing)
  TimingMode timing = TimingMode::kGenerate;
  // Greedy decode steps: "auto" replays a CUDA graph where the variant supports it (flash on CUDA;
  // a sliding window while the graph's dense cache stays within kMaxDenseOverRollingCache of its
  // rolling one) and runs eagerly otherwise; "graph" requires the graph; "eager" never uses one.
  std::string decode = "auto";
  // Projections: "auto" runs decode-sized ones (<= kGemvDefaultMaxRows rows, fp16/bf16, CUDA) on
  // gptbench's GEMV kernel with LayerNorm, bias, GELU, residual and KV store fused in, the rest on
  // ATen ops; "aten" always runs ATen ops; "gemv" takes the GEMV wherever its kernel applies (<= 8
  // rows), for A/B runs past the default limit.
  std::string linear = "auto";
  bool stemmer = true;
  // Output
  std::string out_path;          // JSON report (atomic)
  std::string predictions_path;  // JSONL, one line per sample (atomic)
  std::string profile_path;      // --profile: Chrome trace of the timed batches (empty: no profiler at all)
  bool quiet = false;
};

nlohmann::json to_json(const RunConfig& config);
std::string timing_mode_name(TimingMode mode);
std::string task_name(Task task);

}  // namespace gptbench::run
