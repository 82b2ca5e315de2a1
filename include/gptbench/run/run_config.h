// Everything `gptbench run` needs to reproduce a run; echoed verbatim into the report.
#pragma once

#include <nlohmann/json.hpp>  // nlohmann::json

#include <cstdint>   // int64_t
#include <optional>  // std::optional
#include <string>    // std::string
#include <vector>    // std::vector

#include "gptbench/attention/attention.h"  // AttentionSpec
#include "gptbench/bench/progress.h"       // ProgressOptions
#include "gptbench/data/dataset_kind.h"    // data::DatasetKind, dataset_kind_name
#include "gptbench/data/split.h"           // Split
#include "gptbench/model/beam_search.h"    // EarlyStopping
#include "gptbench/run/model_selection.h"  // ResolvedSelection
#include "gptbench/run/run_stopping.h"     // RunStoppingFlags
#include "gptbench/util/enum_names.h"      // EnumName

namespace gptbench::run {

// One name table per enum-valued flag: it parses the flag and writes the config block.
enum class Task { kSummarization, kPerplexity };
inline constexpr EnumName<Task> kTaskNames[] = {{Task::kSummarization, "summarization"},
                                                {Task::kPerplexity, "perplexity"}};

// --dataset: a file the data module reads (news_summary, cnn_dailymail, jsonl), or random prompts of
// exactly --prompt-tokens tokens (synthetic: no references, so no quality).
enum class DatasetKind { kNewsSummary, kCnnDailymail, kJsonl, kSynthetic };
inline constexpr EnumName<DatasetKind> kDatasetNames[] = {
    {DatasetKind::kNewsSummary, data::dataset_kind_name(data::DatasetKind::kNewsSummary)},
    {DatasetKind::kCnnDailymail, data::dataset_kind_name(data::DatasetKind::kCnnDailymail)},
    {DatasetKind::kJsonl, data::dataset_kind_name(data::DatasetKind::kJsonl)},
    {DatasetKind::kSynthetic, "synthetic"}};

// The data module's dataset behind a --dataset other than synthetic.
data::DatasetKind file_dataset(DatasetKind kind);

enum class TimingMode { kGenerate, kForward };  // kForward: one forward pass per padded batch (no generation)
inline constexpr EnumName<TimingMode> kTimingModeNames[] = {{TimingMode::kGenerate, "generate"},
                                                            {TimingMode::kForward, "forward"}};

// Greedy decode steps: kAuto replays a CUDA graph where the variant supports it (flash on CUDA; a
// sliding window while the graph's dense cache stays within kMaxDenseOverRollingCache of its rolling
// one) and runs eagerly otherwise; kGraph requires the graph; kEager never uses one.
enum class DecodeMode { kAuto, kGraph, kEager };
inline constexpr EnumName<DecodeMode> kDecodeModeNames[] = {
    {DecodeMode::kAuto, "auto"}, {DecodeMode::kGraph, "graph"}, {DecodeMode::kEager, "eager"}};

// Projections: kAuto runs decode-sized ones (<= kGemvDefaultMaxRows rows, fp16/bf16, CUDA) on
// gptbench's GEMV kernel with LayerNorm, bias, GELU, residual and KV store fused in, the rest on
// ATen ops; kAten always runs ATen ops; kGemv takes the GEMV wherever its kernel applies (<= 8
// rows), for A/B runs past the default limit.
enum class LinearMode { kAuto, kAten, kGemv };
inline constexpr EnumName<LinearMode> kLinearModeNames[] = {
    {LinearMode::kAuto, "auto"}, {LinearMode::kAten, "aten"}, {LinearMode::kGemv, "gemv"}};

// --kl-against: the other variant, as given (the report echoes it) and parsed; or, for a quantization
// name (none | int8 | int4 | nf4), the same checkpoint and variant loaded with that --quant.
struct KlAgainstVariant {
  std::string name;
  attention::AttentionSpec spec;
  std::optional<std::string> quant;  // set: compare against this quantization, not another variant
};

struct RunConfig {
  std::vector<std::string> argv;
  Task task = Task::kSummarization;
  int64_t stride = 512;          // perplexity: window step (Hugging Face's strided sliding window)
  std::optional<KlAgainstVariant> kl_against;  // perplexity: also the mean per-token KL(this || other variant)
  // Model: checkpoint, variant, dtype, device (and the shared data folder), resolved at the edge
  ResolvedSelection model;
  std::string tokenizer_dir;  // empty: the model folder
  // Data
  DatasetKind dataset = DatasetKind::kNewsSummary;
  std::string data_path;  // file or folder; empty: the dataset's default under model.flags.data_dir
  data::Split split = data::Split::kTest;
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
  model::EarlyStopping early_stopping = model::EarlyStopping::kHeuristic;  // HF: false | true | never
  // Measurement
  int64_t warmup = 1;  // untimed batches (the first batch, run this many times before timing)
  RunStoppingFlags stopping;  // when timing stops (summarization); default: one pass over the prompts
  TimingMode timing = TimingMode::kGenerate;
  DecodeMode decode = DecodeMode::kAuto;
  LinearMode linear = LinearMode::kAuto;
  bool stemmer = true;
  // Output
  std::string out_path;          // JSON report (atomic)
  std::string predictions_path;  // JSONL, one line per sample (atomic)
  std::string profile_path;      // --profile: Chrome trace of the timed batches (empty: no profiler at all)
  bool quiet = false;
  bench::ProgressOptions progress;  // --no-progress, --progress-every (off under --quiet too)
};

nlohmann::json to_json(const RunConfig& config);
bench::ProgressOptions progress_options(const RunConfig& config);  // config.progress, off under --quiet
std::string timing_mode_name(TimingMode mode);  // enum_name(kTimingModeNames, mode)
std::string task_name(Task task);               // enum_name(kTaskNames, task)

}  // namespace gptbench::run
